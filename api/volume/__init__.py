"""The block-storage API: a Cinder v3 subset at /volume/v3/{project_id}/volumes."""
