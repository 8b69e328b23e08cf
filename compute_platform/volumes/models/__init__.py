from .attachments import VolumeAttachment
from .exports import Export
from .volumes import Volume

__all__ = ["Export", "Volume", "VolumeAttachment"]
