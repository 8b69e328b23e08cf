from .images import Image

__all__ = ["Image"]
