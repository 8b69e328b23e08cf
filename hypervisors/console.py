"""The tail of a console log, as Nova's compute manager cuts it (`_tail_log`)."""


def console_tail(text: str, lines: int | None) -> str:
    """The last `lines` pieces of `text` split on newlines, joined again: Nova's rule, so a log that ends with
    a newline gives lines-1 lines and an empty last piece (Tempest counts `output.split('\\n')`)."""
    if lines is None:
        return text
    return "\n".join(text.split("\n")[-lines:]) if lines > 0 else ""
