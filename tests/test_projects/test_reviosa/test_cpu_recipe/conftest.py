"""The CPU-recipe tests share ../reviosa_tiny.py with the paper model's."""
import os.path as osp
import sys

PARENT = osp.dirname(osp.dirname(osp.abspath(__file__)))
if PARENT not in sys.path:
    sys.path.insert(0, PARENT)
