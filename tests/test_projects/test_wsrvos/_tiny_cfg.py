# Tiny WSRVOS config for the count_params tool test (stand-in encoders).
default_scope = 'mmdet'
custom_imports = dict(
    imports=['rvos_plugin', 'projects.WSRVOS.wsrvos', '_wsrvos_helpers'],
    allow_failed_imports=False)
model = dict(
    type='WSRVOS',
    vision_encoder=dict(type='WSRVOSTestTinyVision'),
    text_encoder=dict(type='WSRVOSTestTinyText'),
    hidden_dim=16, num_positives=2, num_negatives=3,
    selection_points=[(1, 1), (4, 4)],
    selection=dict(k_v=3, k_z=2),
    interaction=dict(num_heads=2, ffn_ratio=2),
    mil_head=dict(), fusion=dict(), temporal_loss=dict())
