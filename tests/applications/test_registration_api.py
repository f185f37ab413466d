"""The GovStack Registration BB API, driven the way an integrated app drives it.

Every JSON answer of the flow is also checked against the spec's own component schemas
(../shared/govstack/registration), as an independent client would.
"""

from __future__ import annotations

import functools
import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from simpul.accounts.service import create_api_token
from simpul.applications import submission
from simpul.applications.models import (
    Application,
    ApplicationEvent,
    Document,
    DocumentAccess,
    Task,
)
from simpul.catalogue.standard import STANDARD_COMPONENTS
from simpul.core.kit.periods import today_in
from simpul.core.models import AuditEvent
from tests.applications.conftest import EFORM, PDF_BYTES, VALID_DATA, World
from tests.contracts import specs
from tests.samples import png_bytes

#: The GovStack documents (``tests.contracts.specs``: beside the checkout, or
#: SIMPUL_GOVSTACK_DIR); they are not copied into the repository.
SPEC_DIR = specs.GOVSTACK_DIR / "registration"
MAIN_SPEC = "GovStack_Registration_BB_API.json"
STATISTICS_SPEC = "GovStack_Registration_BB_API_statistics.json"
IMC = "eGovStack/GOV/90000009/digitalregistries"
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


def _any_value_maps(node: Any) -> Any:
    """The spec is generated from Java, where ``Map<String, Object>`` comes out as
    ``additionalProperties: {type: object}``; its values are any JSON (form fields are strings
    and numbers), so that is how it is read here. Nothing else of the spec is changed."""
    if isinstance(node, dict):
        return {
            key: {} if key == "additionalProperties" and value == {"type": "object"} else value
            for key, value in ((k, _any_value_maps(v)) for k, v in node.items())
        }
    if isinstance(node, list):
        return [_any_value_maps(v) for v in node]
    return node


@functools.cache
def _components(spec: str) -> dict[str, Any]:
    components: dict[str, Any] = json.loads((SPEC_DIR / spec).read_text())["components"]
    return _any_value_maps(components)  # type: ignore[no-any-return]


def conforms(body: Any, name: str, *, many: bool = False, spec: str = MAIN_SPEC) -> None:
    """Assert ``body`` is valid against ``#/components/schemas/<name>`` (or an array of it)."""
    ref = {"$ref": f"#/components/schemas/{name}"}
    schema = {"type": "array", "items": ref} if many else ref
    validator = Draft202012Validator(
        {**schema, "components": _components(spec)},
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )
    problems = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]
    assert not problems, problems


@dataclass
class Api:
    client: TestClient
    world: World
    tokens: dict[str, str]

    def __call__(
        self, method: str, path: str, who: str | None = None, **kwargs: Any
    ) -> httpx2.Response:
        """Call as a GovStack client does: with ``Information-Mediator-Client`` (``imc=None``
        leaves it out)."""
        headers = dict(kwargs.pop("headers", {}))
        imc = kwargs.pop("imc", IMC)
        if imc is not None:
            headers.setdefault("Information-Mediator-Client", imc)
        if who is not None:
            headers["Authorization"] = f"Bearer {self.tokens[who]}"
        return self.client.request(
            method, f"/api/kota-uji/registration{path}", headers=headers, **kwargs
        )

    def service_id(self) -> str:
        services = self("GET", "/services", "citizen", params={"name": "perizinan UJI"}).json()
        return str(services[0]["id"])

    def upload(self, content: bytes = PDF_BYTES, name: str = "ktp.pdf") -> httpx2.Response:
        return self("POST", "/documents", "citizen", files=[("file", (name, content))])

    def submit(self, data: dict[str, Any] | None = None, **kwargs: Any) -> httpx2.Response:
        url = self.upload().json()["url"]
        body = {
            "applicantId": str(self.world.citizen.id),
            "formData": {"data": VALID_DATA if data is None else data},
            "documentUrls": [url],
        }
        return self(
            "POST", f"/services/{self.service_id()}/applications", "citizen", json=body, **kwargs
        )

    def open_task(self, who: str, file_id: str) -> dict[str, Any]:
        tasks = self("GET", "/tasks", who, params={"fileId": file_id}).json()
        task: dict[str, Any] = next(t for t in tasks if t["status"]["code"] == "PENDING")
        return task

    def decide(self, who: str, file_id: str, decision: str, comment: str = "") -> httpx2.Response:
        task = self.open_task(who, file_id)
        body = {"data": {"decision": decision, "comment": comment}}
        return self("POST", f"/tasks/{task['taskId']}/complete", who, json=body)


@pytest.fixture
def api(client: TestClient, session: Session, world: World) -> Api:
    client.app.state.storage = world.storage  # type: ignore[attr-defined]
    tokens = {}
    for who in ("citizen", "other_citizen", "verifier", "approver", "other_agency_officer"):
        tokens[who] = create_api_token(session, getattr(world, who), "integrasi")[1]
    session.flush()
    return Api(client, world, tokens)


def count(session: Session, model: type[Any]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_whole_flow_by_api(api: Api, session: Session, world: World) -> None:
    services = api("GET", "/services", "citizen", headers={"Information-Mediator-Client": IMC})
    assert services.status_code == 200
    conforms(services.json(), "service", many=True)
    assert {s["name"] for s in services.json()} == {"Perizinan Uji", "Perizinan Lain"}
    service_id = api.service_id()
    service = api("GET", f"/services/{service_id}", "citizen").json()
    conforms(service, "service")
    body = {p["code"]: p["value"] for p in service["serviceBody"]}
    assert set(STANDARD_COMPONENTS) <= set(body)
    assert body["sla_working_days"] == "3" and body["agency"] == "Dinas Uji Kota Uji"
    assert service["type"] == "Public" and service["isExecutable"] is True
    eforms = api("GET", f"/services/{service_id}/eForms", "citizen").json()
    conforms(eforms, "EFormListItem", many=True)
    assert [f["eFormId"] for f in eforms] == [service_id]
    eform = api("GET", f"/eForms/{service_id}", "citizen").json()
    conforms(eform, "EForm")
    assert eform["schema"]["properties"] == EFORM["schema"]["properties"]

    uploaded = api.upload()
    assert uploaded.status_code == 200
    conforms(uploaded.json(), "uploadResponse")
    assert uploaded.json()["url"].startswith("/api/kota-uji/registration/documents/")
    submit = {
        "applicantId": str(world.citizen.id),
        "applicationName": "Izin warung",
        "formData": {"data": VALID_DATA, "eFormId": service_id},
        "documentUrls": [f"https://simpul.example{uploaded.json()['url']}"],
    }
    headers = {"Idempotency-Key": "kirim-1", "Information-Mediator-Client": IMC}
    first = api(
        "POST", f"/services/{service_id}/applications", "citizen", json=submit, headers=headers
    )
    assert first.status_code == 200, first.text
    conforms(first.json(), "applicationFileResponse")
    file_id = first.json()["fileId"]
    assert first.json()["status"]["code"] == "PENDING" and first.json()["ended"] is False
    assert first.json()["applicationData"]["documentUrls"] == [uploaded.json()["url"]]
    rows = (count(session, Application), count(session, Document), count(session, Task))
    again = api(
        "POST", f"/services/{service_id}/applications", "citizen", json=submit, headers=headers
    )
    assert again.status_code == 200 and again.json()["fileId"] == file_id
    assert again.headers["Idempotent-Replayed"] == "true"
    assert (count(session, Application), count(session, Document), count(session, Task)) == rows
    stored = session.get(Application, uuid.UUID(file_id))
    assert stored is not None and (stored.channel, stored.client_identity) == ("api", IMC)

    tasks = api("GET", "/tasks", "verifier")
    conforms(tasks.json(), "userTaskResponse", many=True)
    assert [t["fileId"] for t in tasks.json()] == [file_id] and tasks.headers[
        "X-Total-Count"
    ] == "1"
    assert api("GET", "/tasks", "approver").json() == []  # not their step yet
    task_id = tasks.json()[0]["taskId"]
    task = api("GET", f"/tasks/{task_id}", "verifier").json()
    conforms(task, "dataUserTaskResponse")
    assert task["formVariables"] == VALID_DATA
    no_reason = api(
        "POST", f"/tasks/{task_id}/complete", "verifier", json={"data": {"decision": "SENDBACK"}}
    )
    assert no_reason.status_code == 400
    assert [d["field"] for d in no_reason.json()["details"]] == ["data.comment"]
    sendback = {"data": {"decision": "SENDBACK", "comment": "Foto KTP buram, unggah ulang."}}
    returned = api(
        "POST",
        f"/tasks/{task_id}/complete",
        "verifier",
        json=sendback,
        headers={"Information-Mediator-Client": IMC},
    )
    assert returned.status_code == 200, returned.text
    conforms(returned.json(), "completedTaskResponse")
    assert returned.json()["status"]["code"] == "SENDBACK"
    decided = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "application.decide")
    ).one()
    assert decided.details["client"] == IMC and decided.details["decision"] == "SENDBACK"
    mine = api("GET", f"/applications/{file_id}", "citizen")
    conforms(mine.json(), "applicationFileResponse")
    assert mine.json()["status"]["code"] == "SENDBACK"
    listed = api("GET", "/applications", "citizen")
    conforms(listed.json(), "applicantApplicationFileListResponse", many=True)
    assert [(a["fileId"], a["status"]["code"]) for a in listed.json()] == [(file_id, "SENDBACK")]

    # The citizen fixes the document on the web; the service layer resubmits it.
    session.expire_all()
    application_id = uuid.UUID(file_id)
    submission.attach_document(
        session, world.region, world.citizen, application_id, "ktp", world.upload(), "ktp-baru.pdf"
    )
    submission.submit(session, world.region, world.citizen, application_id)
    session.flush()

    verified = api.decide("verifier", file_id, "APPROVED")
    assert verified.status_code == 200, verified.text
    conforms(verified.json(), "completedTaskResponse")
    assert verified.json()["status"]["code"] == "PENDING"
    next_task = verified.json()["variables"]["nextTask"]["data"]["taskId"]
    assert api.open_task("approver", file_id)["taskId"] == next_task
    approved = api.decide("approver", file_id, "approved")
    assert approved.status_code == 200 and approved.json()["status"]["code"] == "APPROVED"
    final = api("GET", f"/applications/{file_id}", "citizen").json()
    conforms(final, "applicationFileResponse")
    assert final["status"]["code"] == "APPROVED" and final["ended"] is True
    again_done = api(
        "POST", f"/tasks/{next_task}/complete", "approver", json={"data": {"decision": "APPROVED"}}
    )
    assert again_done.status_code == 409


def test_statistics_count_what_happened(api: Api, session: Session, world: World) -> None:
    returned, rejected, completed = (api.submit().json()["fileId"] for _ in range(3))
    api.decide("verifier", returned, "SENDBACK", "Lengkapi alamat usaha.")
    api.decide("verifier", rejected, "REJECTED", "Usaha di luar wilayah Kota Uji.")
    api.decide("verifier", completed, "APPROVED")
    api.decide("approver", completed, "APPROVED")
    today = today_in(world.region).isoformat()

    def stats(**params: str) -> list[dict[str, Any]]:
        answer = api("GET", "/data/statistics", "verifier", params=params)
        assert answer.status_code == 200, answer.text
        conforms(answer.json(), "inline_response_200", many=True, spec=STATISTICS_SPEC)
        return answer.json()  # type: ignore[no-any-return]

    def counts(row: dict[str, Any]) -> tuple[Any, ...]:
        keys = ("processed", "approved", "sentBack", "rejected", "received")
        return tuple(row.get(k) for k in keys)

    assert [counts(r) for r in stats()] == [(3, 1, 1, 1, 3)]
    by_day = stats(timeframe="day", startDate=today, endDate=today)
    assert [counts(r) for r in by_day] == [(3, 1, 1, 1, 3)]
    assert by_day[0]["references"]["startDate"] == today == by_day[0]["references"]["endDate"]
    assert by_day[0]["references"]["timeframeDay"] is True
    # A verifier's approval passes the file on; only the approver's completes it.
    assert [counts(r) for r in stats(role="verifikator")] == [(2, 0, 1, 1, None)]
    assert [counts(r) for r in stats(role="penyetuju")] == [(1, 1, 0, 0, None)]
    assert [counts(r) for r in stats(operator="SETUJU")] == [(1, 1, 0, 0, None)]
    assert [counts(r) for r in stats(registrationName="lain")] == [(0, 0, 0, 0, 0)]
    assert stats(timeframe="month", endDate="2020-01-31") == []
    bad = api(
        "GET",
        "/data/statistics",
        "verifier",
        params={"startDate": today, "endDate": "2020-01-01", "role": "x"},
    )
    assert bad.status_code == 400
    assert {d["field"] for d in bad.json()["details"]} == {"endDate"}
    # A role Simpul does not have is a filter that matches no decision (any string is valid).
    assert [counts(r) for r in stats(role="Handler")] == [(0, 0, 0, 0, None)]
    assert stats(role="Handler", timeframe="day") == []


def test_bad_form_is_refused_per_field_and_nothing_is_stored(api: Api, session: Session) -> None:
    answer = api.submit({"jumlah_pegawai": 0})
    assert answer.status_code == 400
    fields = {d["field"] for d in answer.json()["details"]}
    assert fields == {"nama_usaha", "jumlah_pegawai"}
    assert count(session, Application) == 0 and count(session, Task) == 0
    attached = session.scalars(select(Document.application_id)).all()
    assert attached == [None]  # the upload stays free for the next attempt


def test_uploads_are_checked_by_content_and_size(api: Api, session: Session, world: World) -> None:
    exe = api.upload(EXE_BYTES, "ktp.pdf")
    assert exe.status_code == 415 and exe.json()["code"] == "unsupported_file_type"
    mixed = api(
        "POST",
        "/documents",
        "citizen",
        files=[("file", ("a.png", png_bytes())), ("file", ("b.pdf", EXE_BYTES))],
    )
    assert mixed.status_code == 415
    assert count(session, Document) == 0
    assert [p for p in world.storage.root.rglob("*") if p.is_file()] == []  # nothing left behind
    settings = api.client.app.state.settings  # type: ignore[attr-defined]
    api.client.app.state.settings = settings.model_copy(update={"upload_max_bytes": 1024})  # type: ignore[attr-defined]
    big = api.upload(PDF_BYTES + b"%" * 2048)
    assert big.status_code == 413 and big.json()["code"] == "file_too_large"
    two = api(
        "POST",
        "/documents",
        "citizen",
        files=[("file", ("a.png", png_bytes())), ("file", ("b.pdf", PDF_BYTES))],
    )
    assert two.status_code == 200
    assert len(two.json()["documentUrls"]) == 2 and two.json()["type"] == "image/png"
    assert (
        api("POST", "/documents", "verifier", files=[("file", ("a.pdf", PDF_BYTES))]).status_code
        == 403
    )


def test_documents_download_for_owner_and_recorded_for_officers(api: Api, session: Session) -> None:
    file_id = api.submit().json()["fileId"]
    url = api("GET", f"/applications/{file_id}", "citizen").json()["applicationData"][
        "documentUrls"
    ][0]
    path = url.removeprefix("/api/kota-uji/registration")
    own = api("GET", path, "citizen")
    assert own.status_code == 200 and own.content == PDF_BYTES
    assert own.headers["content-type"] == "application/pdf"
    assert own.headers["content-disposition"].startswith('attachment; filename="ktp.pdf"')
    assert count(session, DocumentAccess) == 0
    assert api("GET", path, "verifier").content == PDF_BYTES
    accesses = session.scalars(select(DocumentAccess)).all()
    assert [(a.user_id, str(a.application_id)) for a in accesses] == [
        (api.world.verifier.id, file_id)
    ]
    for stranger in ("other_citizen", "other_agency_officer"):
        assert api("GET", path, stranger).status_code == 404


def test_officer_updates_form_data(api: Api, session: Session, world: World) -> None:
    file_id = api.submit().json()["fileId"]
    body = {
        "applicantId": str(world.citizen.id),
        "formData": {"data": {**VALID_DATA, "jumlah_pegawai": 5}},
    }
    headers = {"Information-Mediator-Client": IMC}
    updated = api("PUT", f"/applications/{file_id}", "verifier", json=body, headers=headers)
    assert updated.status_code == 200, updated.text
    conforms(updated.json(), "applicationFileResponse")
    assert updated.json()["applicationData"]["formData"]["data"]["jumlah_pegawai"] == 5
    audit = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "application.update")
    ).one()
    assert audit.details["client"] == IMC
    event = session.scalars(
        select(ApplicationEvent).where(ApplicationEvent.action == "update")
    ).one()
    assert event.note == "Diubah: Jumlah pegawai."
    wrong = {**body, "applicantId": str(world.other_citizen.id), "formData": {"data": VALID_DATA}}
    assert api("PUT", f"/applications/{file_id}", "verifier", json=wrong).status_code == 400
    invalid = {**body, "formData": {"data": {"nama_usaha": ""}}}
    assert api("PUT", f"/applications/{file_id}", "verifier", json=invalid).status_code == 400
    assert api("PUT", f"/applications/{file_id}", "citizen", json=body).status_code == 403
    assert (
        api("PUT", f"/applications/{file_id}", "other_agency_officer", json=body).status_code == 404
    )
    data = api("GET", f"/applications/{file_id}", "citizen").json()["applicationData"]["formData"]
    assert data["data"]["jumlah_pegawai"] == 5


def test_who_may_do_what(api: Api, session: Session, world: World) -> None:
    no_token = api("GET", "/services")
    assert no_token.status_code == 401 and no_token.json()["code"] == "unauthorized"
    bad_token = api("GET", "/applications", headers={"Authorization": "Bearer spl_palsu"})
    assert bad_token.status_code == 401
    malformed = api(
        "GET", "/services", "citizen", headers={"Information-Mediator-Client": "GOV/123"}
    )
    assert malformed.status_code == 400
    assert malformed.json()["details"][0]["field"] == "Information-Mediator-Client"
    url = api.upload().json()["url"]
    someone_else = {
        "applicantId": str(world.other_citizen.id),
        "formData": {"data": VALID_DATA},
        "documentUrls": [url],
    }
    forged = api("POST", f"/services/{api.service_id()}/applications", "citizen", json=someone_else)
    assert forged.status_code == 403 and count(session, Application) == 0

    file_id = api.submit().json()["fileId"]
    task_id = api.open_task("verifier", file_id)["taskId"]
    approve = {"data": {"decision": "APPROVED"}}
    # Another citizen, or an officer of another agency: the file and task do not exist.
    assert api("GET", f"/applications/{file_id}", "other_citizen").status_code == 404
    assert api("GET", f"/applications/{file_id}", "other_agency_officer").status_code == 404
    assert api("GET", f"/tasks/{task_id}", "other_agency_officer").status_code == 404
    assert (
        api("POST", f"/tasks/{task_id}/complete", "other_agency_officer", json=approve).status_code
        == 404
    )
    assert api("GET", "/applications", "other_citizen").json() == []
    assert api("GET", "/applications", "other_agency_officer").json() == []
    assert api("GET", "/applications/bukan-uuid", "citizen").status_code == 404
    assert api("GET", f"/services/{uuid.uuid4()}", "citizen").status_code == 404
    # Citizens have no tasks; the approver's role acts at the next step, not this one.
    assert api("GET", "/tasks", "citizen").status_code == 403
    assert api("GET", f"/tasks/{task_id}", "citizen").status_code == 403
    assert api("POST", f"/tasks/{task_id}/complete", "approver", json=approve).status_code == 403
    unknown = api(
        "POST", f"/tasks/{task_id}/complete", "verifier", json={"data": {"decision": "MAYBE"}}
    )
    assert unknown.status_code == 400


def test_lists_page_and_filter(api: Api, world: World) -> None:
    first, second = (api.submit().json()["fileId"] for _ in range(2))
    page = api(
        "GET",
        "/applications",
        "verifier",
        params={"maxResult": 1, "sortBy": "created", "sortOrder": "asc"},
    )
    assert [a["fileId"] for a in page.json()] == [first] and page.headers["X-Total-Count"] == "2"
    rest = api("GET", "/applications", "verifier", params={"firstResult": 1, "sortOrder": "asc"})
    assert [a["fileId"] for a in rest.json()] == [second]
    other = api(
        "GET", "/applications", "citizen", params={"applicantId": str(world.other_citizen.id)}
    )
    assert other.json() == []
    tasks = api("GET", "/tasks", "verifier", params={"fileId": second}).json()
    assert [t["fileId"] for t in tasks] == [second]
    assert (
        api("GET", "/tasks", "verifier", params={"mainTaskId": tasks[0]["taskId"]}).json() == tasks
    )
    for params in ({"maxResult": 0}, {"maxResult": 101}, {"sortBy": "name"}, {"sortOrder": "up"}):
        bad = api("GET", "/applications", "verifier", params=params)
        assert bad.status_code == 400, params
    # The specification types these filters as strings: any string is a filter, and one that
    # names nothing lists nothing.
    for name in ("fileId", "mainTaskId", "assigneeId"):
        nothing = api("GET", "/tasks", "verifier", params={name: "bukan-id ☃"})
        assert (nothing.status_code, nothing.json()) == (200, []), name
        assert nothing.headers["X-Total-Count"] == "0"
    nobody = api("GET", "/applications", "verifier", params={"applicantId": "x" * 500})
    assert (nobody.status_code, nobody.json()) == (200, [])


def test_long_lists_give_a_cursor_and_say_more_instead_of_counting(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the count's bound (1,000; 1 here) a list says so instead of counting every row,
    and its ``X-Next-Cursor`` continues it (decision 0035)."""
    from simpul.applications import registration_api, repository

    monkeypatch.setattr(repository, "COUNT_BOUND", 1)
    monkeypatch.setattr(registration_api, "COUNT_BOUND", 1)
    first, second = (api.submit().json()["fileId"] for _ in range(2))
    params = {"maxResult": 1, "sortOrder": "asc"}
    page = api("GET", "/applications", "verifier", params=params)
    assert [a["fileId"] for a in page.json()] == [first]
    assert "X-Total-Count" not in page.headers
    assert page.headers["X-Total-Count-Exceeds"] == "1"
    rest = api(
        "GET",
        "/applications",
        "verifier",
        params={**params, "cursor": page.headers["X-Next-Cursor"]},
    )
    assert [a["fileId"] for a in rest.json()] == [second]
    assert "X-Next-Cursor" not in rest.headers
    tasks = api("GET", "/tasks", "verifier", params=params)
    assert tasks.headers["X-Total-Count-Exceeds"] == "1" and "X-Next-Cursor" in tasks.headers


def test_every_endpoint_is_documented(client: TestClient) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    base = "/api/{region}/registration"
    expected = {
        ("get", "/services", "getServiceList", "Available Services"),
        ("get", "/services/{serviceId}", "getService", "Available Services"),
        (
            "get",
            "/services/{serviceId}/eForms",
            "getServiceSchemaByServiceKey",
            "Available Services",
        ),
        ("get", "/eForms/{eFormId}", "getEFormById", "Available Services"),
        ("post", "/services/{serviceId}/applications", "submitApplicationFile", "Applicant"),
        ("post", "/documents", "uploadFile", "Applicant"),
        ("get", "/documents/{documentId}", "downloadFile", "Applicant"),
        ("get", "/applications", "getApplicantFileList", "Applicant"),
        ("get", "/applications/{fileId}", "getApplicationFileById", "Applicant"),
        ("put", "/applications/{fileId}", "updateApplicationFileForm", "Operator"),
        ("get", "/tasks", "getTasks", "Operator"),
        ("get", "/tasks/{taskId}", "getTaskById", "Operator"),
        ("post", "/tasks/{taskId}/complete", "completeTaskById", "Operator"),
        ("get", "/data/statistics", "Statistics", "Statistics API"),
    }
    for method, path, operation_id, tag in expected:
        operation = paths[base + path][method]
        assert operation["operationId"] == operation_id and tag in operation["tags"]
        names = {p["name"] for p in operation["parameters"]}
        assert "Information-Mediator-Client" in names, path
        assert "200" in operation["responses"] and "400" in operation["responses"]
        assert ("401" in operation["responses"]) is (operation_id != "Statistics")
        assert "422" not in operation["responses"], path


def test_the_last_approval_in_a_signing_region_is_refused_without_a_passphrase(
    api: Api, session: Session, world: World, tmp_path: Path
) -> None:
    """The Registration API has no field for a signing passphrase (decision 0016): where the
    region signs documents, the approver signs the last step on the page."""
    from simpul.documents import credentials
    from simpul.documents.pki import OfficerSpec, init_region_pki

    made = init_region_pki(
        tmp_path / "pki",
        "kota-uji",
        "Kota Uji",
        [OfficerSpec("Setuju", "setuju@example.org")],
        b"frasa-sandi-uji",
    )
    credentials.enrol(
        session,
        world.region,
        world.approver,
        made.officer_paths["setuju@example.org"].read_bytes(),
        "frasa-sandi-uji",
        actor_label="test",
    )
    session.flush()
    file_id = api.submit().json()["fileId"]
    assert api.decide("verifier", file_id, "APPROVED").status_code == 200
    refused = api.decide("approver", file_id, "APPROVED")
    assert refused.status_code == 400, refused.text
    assert refused.json()["details"][0]["field"] == "passphrase"
    assert api("GET", f"/applications/{file_id}", "citizen").json()["ended"] is False


# -- the specification's contract: the header, the errors, the statistics ------------------


def _spec_operations() -> list[tuple[str, str, bool]]:
    """(method, path, whether Information-Mediator-Client is required) per spec operation."""
    found = []
    for name in (specs.REGISTRATION, specs.STATISTICS):
        for operation in specs.operations(name):
            required = any(
                p["in"] == "header"
                and p["name"] == "Information-Mediator-Client"
                and p.get("required")
                for p in operation.parameters
            )
            found.append((operation.method, operation.path, required))
    return found


def test_the_information_mediator_client_is_required_where_the_specification_says(
    api: Api, world: World
) -> None:
    file_id = api.submit().json()["fileId"]
    task_id = api.open_task("verifier", file_id)["taskId"]
    concrete = {
        "{serviceId}": api.service_id(),
        "{eFormId}": api.service_id(),
        "{fileId}": file_id,
        "{taskId}": task_id,
    }
    bodies = {
        ("post", "/services/{serviceId}/applications"): {
            "applicantId": str(world.citizen.id),
            "formData": {"data": VALID_DATA},
        },
        ("put", "/applications/{fileId}"): {
            "applicantId": str(world.citizen.id),
            "formData": {"data": VALID_DATA},
        },
        ("post", "/tasks/{taskId}/complete"): {"data": {"decision": "NOPE"}},
    }
    operations = _spec_operations()
    assert sum(required for *_, required in operations) == 5
    for method, path, required in operations:
        url = path
        for placeholder, value in concrete.items():
            url = url.replace(placeholder, value)
        who = "citizen" if path.startswith(("/services", "/eForms", "/documents")) else "verifier"
        if (method, path) == ("post", "/services/{serviceId}/applications"):
            who = "citizen"
        kwargs: dict[str, Any] = {"imc": None}
        if (method, path) in bodies:
            kwargs["json"] = bodies[method, path]
        if path == "/documents":
            kwargs["files"] = [("file", ("ktp.pdf", PDF_BYTES))]
        answer = api(method.upper(), url, who, **kwargs)
        if required:
            assert answer.status_code == 400, (method, path, answer.text)
            conforms(answer.json(), "systemError")
            fields = [d["field"] for d in answer.json()["details"]]
            assert fields == ["Information-Mediator-Client"], (method, path, fields)
        else:
            assert answer.status_code != 400 or "Information-Mediator-Client" not in answer.text


def test_errors_are_the_specifications_system_error_with_the_request_id(
    api: Api, client: TestClient, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = api("GET", f"/services/{uuid.uuid4()}", "citizen")
    assert missing.status_code == 404
    body = missing.json()
    conforms(body, "systemError")
    assert set(body) == {"traceId", "code", "message", "localizedMessage", "details"}
    assert body["traceId"] == missing.headers["X-Request-Id"]
    assert uuid.UUID(body["traceId"]).version == 4
    assert body["code"] == "not_found" and body["message"].startswith("Not found")
    assert body["localizedMessage"] == "Layanan tidak ditemukan di wilayah ini."
    english = api(
        "GET", f"/services/{uuid.uuid4()}", "citizen", headers={"Accept-Language": "en"}
    ).json()
    assert english["localizedMessage"] != body["localizedMessage"]
    assert english["message"] == body["message"] and english["traceId"] != body["traceId"]

    invalid = api("GET", "/applications", "verifier", params={"maxResult": "banyak"})
    assert invalid.status_code == 400 and invalid.json()["code"] == "invalid_input"
    assert [d["field"] for d in invalid.json()["details"]] == ["maxResult"]
    for answer in (
        api("GET", "/services"),  # no token
        api("GET", "/tidak-ada", "citizen"),  # no such path
        api("DELETE", "/services", "citizen"),  # no such method
    ):
        assert answer.status_code in (401, 404, 405), answer.text
        conforms(answer.json(), "systemError")
        assert answer.json()["traceId"] == answer.headers["X-Request-Id"]

    # A failure of ours: 500 with the id, and the log line carries the same id.
    from simpul.applications import registration_service
    from simpul.core.requestid import add_request_id_to_logs

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("rusak")

    monkeypatch.setattr(registration_service, "published_services", broken)
    add_request_id_to_logs([caplog.handler])
    with caplog.at_level("ERROR", logger="simpul.web.app"):
        failed = api("GET", "/services", "citizen")
    assert failed.status_code == 500
    conforms(failed.json(), "systemError")
    trace = failed.json()["traceId"]
    assert failed.headers["X-Request-Id"] == trace
    assert [r.request_id for r in caplog.records] == [trace]  # type: ignore[attr-defined]
    assert "rusak" not in failed.text


def test_statistics_are_public_aggregates_and_name_only_existing_services(
    api: Api, world: World
) -> None:
    api.submit()
    anonymous = api("GET", "/data/statistics")
    assert anonymous.status_code == 200, anonymous.text
    conforms(anonymous.json(), "inline_response_200", many=True, spec=STATISTICS_SPEC)
    assert anonymous.json()[0]["received"] == 1
    no_client = api("GET", "/data/statistics", imc=None)
    assert no_client.status_code == 400
    conforms(no_client.json(), "systemError")
    unknown = api("GET", "/data/statistics", params={"registrationName": "Layanan Tak Ada"})
    assert unknown.status_code == 404 and unknown.json()["code"] == "not_found"
    named = api("GET", "/data/statistics", params={"registrationName": "perizinan uji"})
    assert named.status_code == 200 and named.json()[0]["received"] == 1
    # Counts per named officer describe a person's work: staff only.
    by_officer = {"operator": world.verifier.full_name}
    assert api("GET", "/data/statistics", params=by_officer).status_code == 401
    assert api("GET", "/data/statistics", "citizen", params=by_officer).status_code == 403
    assert api("GET", "/data/statistics", "verifier", params=by_officer).status_code == 200


def test_the_published_document_says_what_the_maps_hold(client: TestClient) -> None:
    """Decision 0027: the specification's maps of objects hold any JSON value in Simpul,
    and the published document says so (``additionalProperties: true``)."""
    schemas = client.get("/api/openapi.json").json()["components"]["schemas"]
    for schema, field in (
        ("FormData", "data"),
        ("AdditionalData", "data"),
        ("DataUserTaskResponse", "formVariables"),
        ("DataUserTaskResponse", "data"),
    ):
        published = schemas[schema]["properties"][field]
        assert published["type"] == "object" and published["additionalProperties"] is True
        assert "decision 0027" in published["description"]


#: SQL statements one submission with one document sends, transaction control aside: the
#: per-request work of the submission path (decision 0038), 17, plus the 9 that keep the KPI
#: rollups exact in the same transaction (decision 0034: the new application's share, read
#: after each of the submission's two flushes, the region's time zone and days off, one
#: upsert). Each is named in the failure.
MAX_SUBMISSION_STATEMENTS = 17 + 9


def test_a_submission_sends_few_statements(api: Api, session: Session) -> None:
    url = api.upload().json()["url"]
    service_id = api.service_id()
    body = {
        "applicantId": str(api.world.citizen.id),
        "formData": {"data": VALID_DATA},
        "documentUrls": [url],
    }
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.startswith(("SAVEPOINT", "RELEASE SAVEPOINT")):
            sent.append(" ".join(statement.split())[:120])

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", record)
    try:
        response = api(
            "POST",
            f"/services/{service_id}/applications",
            "citizen",
            json=body,
            headers={"Idempotency-Key": "statements-1"},
        )
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 200, response.text
    assert len(sent) <= MAX_SUBMISSION_STATEMENTS, "\n".join(sent)
    assert response.json()["applicationData"]["documentUrls"] == [url]
    application = session.get(Application, uuid.UUID(response.json()["fileId"]))
    assert application is not None
    session.refresh(application)
    assert application.status.value == "submitted"
    assert application.due_date is not None
    assert count(session, Task) >= 1
