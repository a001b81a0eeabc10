FROM python:3.11-slim
WORKDIR /app
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
COPY requirements.lock pyproject.toml ./
RUN pip install -r requirements.lock
COPY bot ./bot
COPY core ./core
COPY db ./db
COPY locales ./locales
RUN pip install --no-deps -e . && useradd --create-home tradeguard
USER tradeguard
EXPOSE 8080
CMD ["tradeguard", "run"]
