"""gunicorn settings every deployment shares (make run, the tests, the Docker image): `gunicorn -c` this file.

Header limits: gunicorn answers requests past its limits with HTML pages that cannot be templated, so its
limits are set above the API's own (settings.MAX_REQUEST_HEADER_SIZE / MAX_REQUEST_HEADERS, answered 431 in
JSON by api.common.middleware.HeaderLimitsMiddleware) and only stop what would exhaust memory: at most
200 fields of 64 KiB. The request line gets gunicorn's maximum (8190 bytes; long filter query strings).
"""
limit_request_line = 8190
limit_request_fields = 200
limit_request_field_size = 65536
