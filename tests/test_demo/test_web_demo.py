"""demo/web_demo.py in a real headless browser (Selenium + Debian's
chromium and chromium-driver, installed by tools/run_tests.sh).

Without the browser the test fails when CI=true (.ci/run sets it) and is
skipped with the reason elsewhere."""
import io
import json
import os
import os.path as osp
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile

import pytest

from rvos_plugin.testing.inference import (BASELINE_CFG, REPO,
                                           moving_square_video, write_h264)

ARTIFACT_DIR = osp.join(REPO, 'work_dirs', 'test_artifacts')


def _browser():
    """(chromium, chromedriver) paths, or fail / skip with the reason."""
    chromium = next((shutil.which(n) for n in (
        'chromium', 'chromium-browser', 'google-chrome') if shutil.which(n)),
        None)
    driver = shutil.which('chromedriver')
    missing = [n for n, p in (('chromium', chromium),
                              ('chromedriver (chromium-driver)', driver))
               if p is None]
    try:
        import gradio  # noqa: F401
        import selenium  # noqa: F401
    except ImportError as e:
        missing.append(f'python package {e.name} (requirements/)')
    if missing:
        reason = (f'browser test needs {", ".join(missing)}: '
                  'tools/run_tests.sh installs them (apt-get install chromium '
                  'chromium-driver; pip -r requirements/demo.txt '
                  '-r requirements/tests.txt)')
        if os.environ.get('CI', '').lower() in ('1', 'true', 'yes'):
            pytest.fail('CI=true: ' + reason)
        pytest.skip(reason)
    return chromium, driver


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _wait_for_server(proc, url, log, timeout=90):
    start = time.time()
    while time.time() - start < timeout:
        if proc.poll() is not None:
            raise AssertionError('web demo exited:\n' + open(log).read())
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.5)
    raise AssertionError('web demo did not start:\n' + open(log).read())


def test_upload_segment_and_download_in_a_browser(tmp_path, baseline_ckpt):
    chromium, driver_path = _browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    ckpt = baseline_ckpt
    clip = write_h264(str(tmp_path / 'clip.mp4'),
                      moving_square_video(6, size=(48, 64)))
    port = _free_port()
    url = f'http://127.0.0.1:{port}'
    log = str(tmp_path / 'server.log')
    env = dict(os.environ, OMP_NUM_THREADS='1',
               GRADIO_TEMP_DIR=str(tmp_path / 'gradio'),
               GRADIO_ANALYTICS_ENABLED='False')
    with open(log, 'w') as out:
        server = subprocess.Popen(
            [sys.executable, osp.join(REPO, 'demo/web_demo.py'),
             '--model', f'tiny={BASELINE_CFG}:{ckpt}', '--device', 'cpu',
             '--host', '127.0.0.1', '--port', str(port),
             '--work-root', str(tmp_path / 'outputs')],
            stdout=out, stderr=subprocess.STDOUT, env=env)
    options = Options()
    for arg in ('--headless=new', '--no-sandbox', '--disable-dev-shm-usage',
                '--window-size=1280,1400'):
        options.add_argument(arg)
    options.binary_location = chromium
    browser = None
    try:
        _wait_for_server(server, url, log)
        browser = webdriver.Chrome(service=Service(driver_path),
                                   options=options)
        wait = WebDriverWait(browser, 60)
        browser.get(url)
        wait.until(lambda b: b.find_elements(
            By.CSS_SELECTOR, '#input_video input[type=file]'))
        browser.find_element(
            By.CSS_SELECTOR, '#input_video input[type=file]').send_keys(clip)
        wait.until(lambda b: b.find_elements(By.CSS_SELECTOR,
                                             '#input_video video'))
        browser.find_element(By.CSS_SELECTOR,
                             '#expressions textarea').send_keys(
                                 'the red square')
        browser.find_element(By.CSS_SELECTOR, '#segment').click()
        wait.until(lambda b: b.find_elements(By.CSS_SELECTOR,
                                             '#overlay video')
                   and b.find_elements(By.CSS_SELECTOR, '#masks a'))
        os.makedirs(ARTIFACT_DIR, exist_ok=True)
        for folder in (str(tmp_path), ARTIFACT_DIR):
            browser.save_screenshot(osp.join(folder, 'web_demo.png'))
        video_url = browser.find_element(
            By.CSS_SELECTOR, '#overlay video').get_attribute('src')
        zip_url = browser.find_element(By.CSS_SELECTOR,
                                       '#masks a').get_attribute('href')
        # the returned overlay: one frame per input frame
        overlay = tmp_path / 'overlay.mp4'
        overlay.write_bytes(urllib.request.urlopen(video_url).read())
        import av
        with av.open(str(overlay)) as container:
            stream = container.streams.video[0]
            assert stream.codec_context.name == 'h264'
            assert sum(1 for _ in container.decode(stream)) == 6
        # the downloaded masks: MeViS mask_dict, at least one pixel set
        from pycocotools import mask as mask_utils
        archive = zipfile.ZipFile(io.BytesIO(
            urllib.request.urlopen(zip_url).read()))
        mask_dict = json.loads(archive.read('masks.json'))
        rles = mask_dict['0']
        assert len(rles) == 6 and rles[0]['size'] == [48, 64]
        assert sum(int(mask_utils.decode(r).sum()) for r in rles) > 0
        assert len([n for n in archive.namelist()
                    if n.endswith('.png')]) == 6
    except Exception:
        if browser is not None:
            browser.save_screenshot(str(tmp_path / 'web_demo_failure.png'))
        print('server log:\n' + open(log).read()[-5000:])
        raise
    finally:
        if browser is not None:
            browser.quit()
        server.terminate()
        server.wait(timeout=30)
