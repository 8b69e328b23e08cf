"""The tag filters of a list's query, as Nova's servers (2.26) and Neutron's resources read them: each a
comma-separated list of tags; a repeated parameter adds its tags (Neutron's reading). compute_platform's
tag_filters.py applies them."""

TAG_FILTERS = ("tags", "tags-any", "not-tags", "not-tags-any")


def tag_filters(params) -> dict[str, list[str]]:
    """{filter: its tags} for the tag filters present (and not empty) in the query `params`."""
    found = {}
    for key in TAG_FILTERS:
        tags = [t for value in params.getlist(key) for t in value.split(",") if t]
        if tags:
            found[key] = tags
    return found
