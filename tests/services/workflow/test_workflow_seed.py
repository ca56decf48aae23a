"""The demo seed: every demo tenant gets the shipped definitions and realistic documents in
flight (waiting, decided, finished), and the scheduler its jobs; seeding twice changes nothing."""

from __future__ import annotations

from workflow_support import ADMIN, BASE, Flow

from vextrus.demo import DEMO_TENANTS, demo_id
from vextrus.kit.service import SeedContext
from vextrus.services.scheduler import service as scheduler_service
from vextrus.services.workflow import service as workflow_service

MEGHNA, PADMA = DEMO_TENANTS


async def _snapshot(flow: Flow) -> dict[str, dict[str, tuple[str, str, int | None]]]:
    result = {}
    for tenant in DEMO_TENANTS:
        response = await flow.client.get(
            f"{BASE}/instances", params={"limit": 50}, headers=flow.headers(tenant.id, permissions=ADMIN)
        )
        result[tenant.slug] = {
            item["business_key"]: (item["state"], item["status"], item["current_step"])
            for item in response.json()["items"]
        }
    return result


async def test_the_demo_has_documents_in_flight_and_seeding_again_changes_nothing(flow: Flow) -> None:
    await workflow_service.seed(SeedContext(flow.runtime))  # type: ignore[misc]
    await flow.engine.drain()
    first = await _snapshot(flow)
    meghna = first["meghna-group"]
    assert meghna["PO-2025-26-000042"] == ("pending-approval", "running", 2)  # past the department head
    assert meghna["VB-2025-26-000077"] == ("pending-approval", "running", 1)
    assert meghna["LV-2025-26-000015"] == ("pending-approval", "running", 1)
    assert meghna["DWG-STR-014-R2"][:2] == ("review", "running")
    assert meghna["EMP-2025-26-000003"][:2] == ("workstation", "running")
    padma = first["padma-developers"]
    assert padma["PAY-2025-26-000007"] == ("pending-approval", "running", 1)
    for tenant, key in ((MEGHNA, "EXP-2025-26-000031"), (PADMA, "PO-2025-26-000011")):
        listing = await flow.client.get(
            f"{BASE}/instances", params={"business_key": key}, headers=flow.headers(tenant.id, permissions=ADMIN)
        )
        [item] = listing.json()["items"]
        await flow.wait_for(tenant.id, item["id"], lambda body: body["status"] != "running")
    # the finance manager's inbox at Meghna holds the purchase order
    cfo = flow.headers(MEGHNA.id, subject=demo_id("user", "meghna-cfo"), roles=["finance-manager"])
    assert "PO-2025-26-000042" in [task["business_key"] for task in await flow.inbox(cfo)]
    pm = flow.headers(MEGHNA.id, subject=demo_id("user", "meghna-pm"), roles=["project-manager"])
    assert {task["business_key"] for task in await flow.inbox(pm)} >= {
        "LV-2025-26-000015",
        "DWG-STR-014-R2",
        "EMP-2025-26-000003",
    }

    await workflow_service.seed(SeedContext(flow.runtime))  # type: ignore[misc]
    second = await _snapshot(flow)
    for slug in ("meghna-group", "padma-developers"):
        assert set(second[slug]) == set(first[slug])
    assert second["meghna-group"]["PO-2025-26-000042"] == first["meghna-group"]["PO-2025-26-000042"]


async def test_the_scheduler_demo_jobs(flow: Flow) -> None:
    await scheduler_service.seed(SeedContext(flow.runtime))  # type: ignore[misc]
    await scheduler_service.seed(SeedContext(flow.runtime))  # type: ignore[misc]
    headers = flow.headers(PADMA.id, permissions=ADMIN)
    jobs = (await flow.client.get("/api/v1/scheduler/jobs", headers=headers)).json()["items"]
    assert [job["key"] for job in jobs] == [
        "documents.recurring-rent-invoices",
        "vat.return-reminder",
        "workflow.sla-sweep",
    ]
    vat = next(job for job in jobs if job["key"] == "vat.return-reminder")
    assert vat["next_run_local"].split(" ")[1] == "09:00"
    assert vat["next_run_local"].split(" ")[0].endswith("-15")
