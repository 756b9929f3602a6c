"""Vocabulary of the synthetic RVOS set: colours, shapes, sizes, verbs.

Every word that can appear in a generated expression is defined here, so the
expression templates, the renderer and the oracle sidecar (``objects.json``)
share one source of truth.
"""

# Named colours (RGB, 0-255). Saturated hues, far from the grey background.
COLOURS = {
    'red': (220, 30, 30),
    'green': (30, 170, 50),
    'blue': (30, 70, 225),
    'yellow': (235, 215, 30),
    'purple': (150, 40, 195),
    'orange': (245, 130, 20),
}

# Shape name -> plural noun.
SHAPES = {
    'circle': 'circles',
    'square': 'squares',
    'triangle': 'triangles',
    'diamond': 'diamonds',
    'star': 'stars',
}

# Size name -> half-extent of the shape as a fraction of min(H, W).
SIZES = {
    'small': 0.075,
    'big': 0.13,
}

# Generic nouns used when the shape is not named (singular, plural).
GENERIC_NOUNS = (('object', 'objects'), ('shape', 'shapes'))

# Texture brightness factors: stripes alternate between these two.
TEXTURE_FACTORS = (0.78, 1.0)

# Directions in image coordinates (x right, y down).
DIRECTIONS = {
    'left': (-1.0, 0.0),
    'right': (1.0, 0.0),
    'up': (0.0, -1.0),
    'down': (0.0, 1.0),
}

# Unidirectional verbs: name -> (active participle, passive participle).
UNIDIRECTIONAL_VERBS = {
    'pushes': ('pushing', 'pushed'),
    'hits': ('hitting', 'hit'),
    'chases': ('chasing', 'chased'),
    'follows': ('following', 'followed'),
}

# Bidirectional verbs: name -> phrase appended to "the A and the B".
BIDIRECTIONAL_VERBS = {
    'moves_together': 'moving together',
    'bounce_off': 'bouncing off each other',
}

NUMBER_WORDS = {2: 'two', 3: 'three', 4: 'four', 5: 'five', 6: 'six'}
