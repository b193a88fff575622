"""The JPEG bitstream, shared by every codec: colour and DCT as libjpeg (``dct``), exact
optimised-Huffman sizes (``entropy``), the trellis over AC levels and its C/numba kernels
(``trellis``), marker segments (``markers``) and libjpeg's own encoders and decode through
Pillow (``standard``). Arrays in, arrays or bytes out; nothing here knows a map's meaning,
a budget or Keras.
"""
