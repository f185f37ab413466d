import re
from pathlib import Path
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from tests.complaints.conftest import ComplaintWorld, build_world
from tests.complaints.test_backoffice import BASE, file, log_in, routed
import pytest

@pytest.fixture
def world(session: Session) -> ComplaintWorld:
    return build_world(session)

def test_shot(client: TestClient, session: Session, world: ComplaintWorld) -> None:
    c = file(session, world, anonymous=True)
    c.suggested_agency_id = world.roads.id; c.suggestion_confidence = 0.82
    file(session, world, title="Sampah di pasar yang sangat panjang sekali judulnya", category="sampah")
    routed(session, world, world.roads.id)
    session.flush()
    log_in(client, world.desk)
    css = "file:///work/wt-backoffice/src/simpul/web/static/simpul.css"
    for name, path in (("inbox", BASE), ("file", f"{BASE}/{c.number}")):
        html = client.get(path).text
        html = re.sub(r'href="/static/app/simpul[^"]*\.css"', f'href="{css}"', html)
        Path(f"/tmp/bo/{name}.html").write_text(html)
