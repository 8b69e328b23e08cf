"""The tag filters Nova's servers (2.26) and Neutron's resources share: `tags` (all of), `tags-any` (any of),
`not-tags` (not all of), `not-tags-any` (none of), each a list of tags, applied to a queryset through the
model that holds its rows' tags. (api/common/tag_filters.py reads them from a query.)"""
from django.db.models import Count


def tag_filtered(qs, *, tag_model, owner: str, filters: dict):
    """`qs` narrowed by the tag filters in `filters`; `tag_model` holds (`owner` column, `tag`) rows whose
    owner column is `qs`'s primary key."""
    def having_all(tags):
        return (tag_model.objects.filter(tag__in=tags).values(owner)
                .annotate(n=Count("tag", distinct=True)).filter(n=len(set(tags))).values(owner))

    def having_any(tags):
        return tag_model.objects.filter(tag__in=tags).values(owner)

    if filters.get("tags"):
        qs = qs.filter(pk__in=having_all(filters["tags"]))
    if filters.get("tags-any"):
        qs = qs.filter(pk__in=having_any(filters["tags-any"]))
    if filters.get("not-tags"):
        qs = qs.exclude(pk__in=having_all(filters["not-tags"]))
    if filters.get("not-tags-any"):
        qs = qs.exclude(pk__in=having_any(filters["not-tags-any"]))
    return qs
