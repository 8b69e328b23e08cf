# One image for every role (api, worker, conductor, beat, flower); the command picks the role.
FROM python:3.11-slim-bookworm
ENV PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY requirements/ requirements/
RUN pip install --no-cache-dir -r requirements/base.txt
COPY . .
ENV STATIC_ROOT=/app/static
# A throwaway key for this build step only (checks refuse none); the containers get theirs at run time.
RUN SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput -v0
RUN useradd --system --home /app compute && mkdir -p /app/.run && chown compute /app/.run
USER compute
EXPOSE 8000 5555
CMD ["gunicorn", "compute_platform.wsgi:application", "--config", "compute_platform/gunicorn.conf.py", "--bind", "0.0.0.0:8000", "--workers", "4", \
     "--threads", "4", "--worker-class", "gthread", "--no-control-socket"]
