"""The tag filters of a list's query, as Nova's servers (2.26) and Neutron's resources read them: each a
comma-separated list of tags. A repeated parameter adds its tags in Neutron (its filters are lists); Nova reads
its last value (search_opts are a dict of the query). compute_platform's tag_filters.py applies them."""

TAG_FILTERS = ("tags", "tags-any", "not-tags", "not-tags-any")


def tag_filters(params, *, repeated_adds: bool) -> dict[str, list[str]]:
    """{filter: its tags} for the tag filters present (and not empty) in the query `params`."""
    found = {}
    for key in TAG_FILTERS:
        values = params.getlist(key) if repeated_adds else [params.get(key) or ""]
        tags = [t for value in values for t in value.split(",") if t]
        if tags:
            found[key] = tags
    return found
