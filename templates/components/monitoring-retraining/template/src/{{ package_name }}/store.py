"""The monitored store: where the inference log and the training reference meet the monitor.

A blob container (Azure Storage; Azurite, the storage emulator, locally and in tests):

    inference/<yyyy-mm-dd>/<host>-<pid>-<start>.jsonl   what was scored, appended by each
                                                         service worker and batch run
    reference/<model_version>/reference.csv              the training reference of a version
    reference/current.json                               the version being monitored

The service and the batch job append their inference log here (``inference_sink``), the
release publishes the reference of the model it deploys (``publish-reference``), and the
drift monitor reads both. Connection: ``AZURE_STORAGE_CONNECTION_STRING`` when set
(Azurite, tests), otherwise the account named by ``STORAGE_ACCOUNT`` (set by the release
and the monitor from the IaC output: the name carries a unique suffix) or else
``monitoring.store.account_url``, with the ambient identity
(``DefaultAzureCredential``: the managed identity of the endpoint or job, or the CI
identity), which needs a Storage Blob Data role on the account: Contributor to write,
Reader to read.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from .config import section

logger = logging.getLogger(__name__)

CONNECTION_ENV = "AZURE_STORAGE_CONNECTION_STRING"
ACCOUNT_ENV = "STORAGE_ACCOUNT"
REFERENCE_POINTER = "reference/current.json"
#: An append block holds at most 4 MiB.
MAX_BLOCK = 4 * 1024 * 1024


class StoreError(Exception):
    """The monitored store is not configured or cannot be reached."""


def store_settings(config: Mapping[str, Any]) -> dict[str, Any] | None:
    """``monitoring.store`` when it is enabled, else None (local files only)."""
    settings = section(config, "monitoring").get("store") or {}
    return dict(settings) if settings.get("enabled") else None


class Store:
    """One blob container, with the operations the monitoring loop needs."""

    def __init__(self, settings: Mapping[str, Any], environ: Mapping[str, str] | None = None):
        from azure.storage.blob import BlobServiceClient

        environ = os.environ if environ is None else environ
        connection = environ.get(CONNECTION_ENV, "")
        account = environ.get(ACCOUNT_ENV, "")
        account_url = (
            f"https://{account}.blob.core.windows.net" if account else settings.get("account_url")
        )
        if connection:
            service = BlobServiceClient.from_connection_string(connection)
        elif account_url:
            from azure.identity import DefaultAzureCredential

            service = BlobServiceClient(str(account_url), credential=DefaultAzureCredential())
        else:
            raise StoreError(
                f"monitoring.store.account_url is empty and {CONNECTION_ENV}, {ACCOUNT_ENV} unset"
            )
        self.container = service.get_container_client(str(settings.get("container", "monitoring")))
        self._ready = False

    def _ensure_container(self) -> None:
        from azure.core.exceptions import ResourceExistsError

        if self._ready:
            return
        with contextlib.suppress(ResourceExistsError):  # created by another process
            self.container.create_container()
        self._ready = True

    def append(self, name: str, text: str) -> None:
        """Append ``text`` to the append blob ``name`` (created on first use)."""
        from azure.core.exceptions import ResourceExistsError

        self._ensure_container()
        blob = self.container.get_blob_client(name)
        if not blob.exists():
            with contextlib.suppress(ResourceExistsError):
                blob.create_append_blob()
        payload = text.encode("utf-8")
        for start in range(0, len(payload), MAX_BLOCK):
            blob.append_block(payload[start : start + MAX_BLOCK])

    def upload(self, name: str, payload: bytes) -> None:
        self._ensure_container()
        self.container.upload_blob(name, payload, overwrite=True)

    def download(self, name: str) -> bytes:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            return bytes(self.container.download_blob(name).readall())
        except ResourceNotFoundError as exc:
            raise StoreError(f"{name} is not in the monitored store") from exc

    def names(self, prefix: str) -> list[str]:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            return sorted(blob.name for blob in self.container.list_blobs(name_starts_with=prefix))
        except ResourceNotFoundError:
            return []

    def publish_reference(self, reference: Path, model_version: str) -> str:
        """Upload the training reference of ``model_version`` and make it the current one."""
        name = f"reference/{model_version}/reference.csv"
        self.upload(name, reference.read_bytes())
        pointer = {"model_version": model_version, "blob": name}
        self.upload(REFERENCE_POINTER, json.dumps(pointer).encode())
        return name

    def read_reference(self) -> pd.DataFrame:
        pointer = json.loads(self.download(REFERENCE_POINTER))
        return pd.read_csv(io.BytesIO(self.download(str(pointer["blob"]))))

    def read_inference(self, window: int) -> pd.DataFrame:
        """The inputs of the most recent ``window`` logged records (newest blobs first)."""
        rows: list[dict[str, Any]] = []
        for name in reversed(self.names("inference/")):
            lines = self.download(name).decode("utf-8").splitlines()
            rows = [json.loads(line)["inputs"] for line in lines if line] + rows
            if len(rows) >= window:
                break
        return pd.DataFrame.from_records(rows[-window:])


def inference_sink(config: Mapping[str, Any]) -> Callable[[str], None] | None:
    """Where a process appends its inference log lines in the store (None: store disabled).

    One append blob per process and day, so concurrent writers never share a blob.
    """
    settings = store_settings(config)
    if settings is None:
        return None
    store = Store(settings)
    process = f"{socket.gethostname()}-{os.getpid()}-{int(time.time())}"
    lock = threading.Lock()

    def append(text: str) -> None:
        day = datetime.now(UTC).strftime("%Y-%m-%d")
        with lock:
            store.append(f"inference/{day}/{process}.jsonl", text)

    return append
