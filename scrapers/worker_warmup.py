"""Imported once by the workers' forkserver: read a tiny document so that every worker starts warm.

The first parse in a fresh process loads the table of administrative regions and
OpenCC's dictionaries (about 90 ms); done here, the forked workers inherit them.
Importing this module anywhere else only costs that same first parse.
"""

from .documents import parse_document

parse_document("案例1：西安市推行改革\n西安市推进改革。\n案例2：商洛市提升服务\n商洛市优化服务。\n".encode(), "warm-up.txt", "", "")
