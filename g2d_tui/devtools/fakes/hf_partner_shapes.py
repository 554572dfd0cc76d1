"""The partner providers' shapes of the fake Hugging Face router: base64 JSON (together,
nscale), a result URL on the fake (fal-ai), and asynchronous jobs polled until done
(replicate, wavespeed, zai-org). Mixed into :class:`~.hf_server.FakeHF`."""

from __future__ import annotations

import base64
import itertools
import threading
from dataclasses import dataclass

from g2d_tui.devtools.fakes.hf_wire import RecordedRequest, Reply, _json_reply


@dataclass
class _Job:
    provider: str
    image: bytes
    failing: str | None
    polls_left: int
    cancelled: bool = False


class PartnerProviderShapes:
    """Wraps an image answer in the requested provider's shape, keeps the files served
    under ``/files/`` and the jobs it answers polls for."""

    base_url: str
    job_polls: int
    """Pending answers an asynchronous job gives before it is done."""
    _lock: threading.Lock
    _files: dict[str, bytes]
    _jobs: dict[str, _Job]
    _ids: itertools.count

    def _store_file(self, data: bytes) -> str:
        name = f"{next(self._ids)}.png"
        with self._lock:
            self._files[name] = data
        return f"{self.base_url}/files/{name}"

    def _file(self, route: str) -> Reply:
        with self._lock:
            data = self._files.get(route.removeprefix("/files/"))
        return Reply(200, "image/png", data) if data is not None else Reply(404, "text/plain", b"gone")

    def _shaped(self, request: RecordedRequest, reply: Reply) -> Reply:
        """``reply`` (written for the raw hf-inference endpoint) in ``request``'s provider shape."""
        provider = request.provider
        failing = reply.failing is not None and provider in ("replicate", "wavespeed", "zai-org")
        if provider == "hf-inference" or not (reply.status == 200 and reply.content_type.startswith("image/") or failing):
            return reply
        if reply.trickle or reply.content_length is not None:
            return reply
        if provider in ("together", "nscale"):
            return _json_reply({"created": 0, "data": [{"b64_json": base64.b64encode(reply.body).decode()}]})
        if provider == "fal-ai":
            return _json_reply({"images": [{"url": self._store_file(reply.body), "content_type": "image/png"}], "seed": 1})
        job_id = f"job{next(self._ids)}"
        with self._lock:
            self._jobs[job_id] = _Job(provider, reply.body, reply.failing, self.job_polls)
        if provider == "replicate":
            if not self.job_polls and not failing:
                return _json_reply({"id": job_id, "status": "succeeded", "output": [self._store_file(reply.body)]}, 201)
            return _json_reply({"id": job_id, "status": "starting", "output": None, "urls": {
                "get": f"https://api.replicate.com/v1/predictions/{job_id}",
                "cancel": f"https://api.replicate.com/v1/predictions/{job_id}/cancel"}}, 201)
        if provider == "wavespeed":
            return _json_reply({"code": 200, "data": {"id": job_id, "status": "created", "urls": {
                "get": f"https://api.wavespeed.ai/api/v3/predictions/{job_id}/result"}}})
        return _json_reply({"id": job_id, "task_status": "PROCESSING", "model": "fake"})  # zai-org

    def _job(self, request: RecordedRequest) -> Reply:
        """A poll (or a cancel) of an asynchronous job."""
        job_id = next((part for part in request.route.split("/") if part.startswith("job")), "")
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return _json_reply({"error": "no such job"}, 404)
            if request.route.endswith("/cancel"):
                job.cancelled = True
                return _json_reply({"id": job_id, "status": "canceled"})
            pending = job.polls_left > 0
            job.polls_left -= 1
        if job.provider == "replicate":
            if pending:
                return _json_reply({"id": job_id, "status": "processing", "output": None, "urls": {
                    "get": f"https://api.replicate.com/v1/predictions/{job_id}"}})
            if job.failing:
                return _json_reply({"id": job_id, "status": "failed", "error": job.failing, "output": None})
            return _json_reply({"id": job_id, "status": "succeeded", "output": [self._store_file(job.image)]})
        if job.provider == "wavespeed":
            if pending:
                return _json_reply({"code": 200, "data": {"id": job_id, "status": "processing"}})
            if job.failing:
                return _json_reply({"code": 200, "data": {"id": job_id, "status": "failed", "error": job.failing}})
            return _json_reply({"code": 200, "data": {"id": job_id, "status": "completed", "outputs": [self._store_file(job.image)]}})
        if pending:
            return _json_reply({"id": job_id, "task_status": "PROCESSING"})
        if job.failing:
            return _json_reply({"id": job_id, "task_status": "FAIL"})
        return _json_reply({"id": job_id, "task_status": "SUCCESS", "image_result": [{"url": self._store_file(job.image)}]})

    def cancelled_jobs(self) -> list[str]:
        with self._lock:
            return [job_id for job_id, job in self._jobs.items() if job.cancelled]
