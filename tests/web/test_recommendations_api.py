"""The recommendations API over HTTP: propose, list, move along the lifecycle, clear refusals."""

from __future__ import annotations

import httpx


def test_propose_list_and_move_recommendations(server_url: str) -> None:
    with httpx.Client(base_url=server_url, timeout=60) as client:
        proposed = client.post("/api/recommendations", json={})
        assert proposed.status_code == 200
        # the answer lists every open recommendation; other tests of this session may have moved some
        recommendations = proposed.json()["recommendations"]
        assert recommendations and {rec["status"] for rec in recommendations} <= {
            "proposed",
            "accepted",
            "in_progress",
        }
        first = next(rec for rec in recommendations if rec["status"] == "proposed")
        assert {
            "id",
            "title",
            "practice_id",
            "targets",
            "why",
            "sources",
            "history",
            "outcomes",
        } <= first.keys()
        # proposing again does not duplicate open recommendations
        assert len(client.post("/api/recommendations", json={}).json()["recommendations"]) == len(
            recommendations
        )

        accepted = client.post(
            f"/api/recommendations/{first['id']}/transition", json={"to_status": "accepted"}
        )
        assert accepted.status_code == 200
        assert [change["to_status"] for change in accepted.json()["history"]] == ["proposed", "accepted"]
        assert accepted.json()["history"][-1]["actor"] == "local user"

        refused = client.post(f"/api/recommendations/{first['id']}/transition", json={"to_status": "done"})
        assert refused.status_code == 409
        assert "cannot become done" in refused.json()["detail"]
        no_reason = client.post(
            f"/api/recommendations/{first['id']}/transition", json={"to_status": "dismissed"}
        )
        assert no_reason.status_code == 409 and "needs a reason" in no_reason.json()["detail"]
        assert (
            client.post("/api/recommendations/nope/transition", json={"to_status": "accepted"}).status_code
            == 404
        )
        assert (
            client.post(
                f"/api/recommendations/{first['id']}/transition", json={"to_status": "flying"}
            ).status_code
            == 422
        )

        listed = client.get("/api/recommendations", params={"status": "accepted"}).json()["recommendations"]
        assert first["id"] in [rec["id"] for rec in listed]
        assert {rec["status"] for rec in listed} == {"accepted"}
        assert client.get(f"/api/recommendations/{first['id']}").json()["status"] == "accepted"
