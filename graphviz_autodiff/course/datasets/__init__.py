"""Data sets: the lecture's data (shipped as a CSV), small generated sets, and a NumPy CSV reader.

>>> from graphviz_autodiff.course.datasets import lecture5
>>> data = lecture5()
>>> data.X.shape, data.feature_names[:2]
((200, 4), ('engine_power', 'engine_displacement'))
"""

from .lecture import Lecture5Data, lecture5, lecture5_path
from .loaders import DatasetFormatError, load_csv, read_metadata
from .toy import spirals, two_moons

__all__ = [
    "DatasetFormatError",
    "Lecture5Data",
    "lecture5",
    "lecture5_path",
    "load_csv",
    "read_metadata",
    "spirals",
    "two_moons",
]
