"""How current the knowledge base is: computed from the tables, shown by --version and rules --format json."""

import json

from conftest import run_cli

from mllint import knowledge, knowledge_currency


def test_newest_releases_are_the_highest_table_rows():
    newest = knowledge_currency.newest_known()
    frameworks = knowledge.table("frameworks")
    torch_rows = frameworks["torch"]["releases"]
    assert newest["torch"] in torch_rows
    assert all(tuple(map(int, k.split("."))) <= tuple(map(int, newest["torch"].split("."))) for k in torch_rows)
    assert newest["tensorflow"] in frameworks["tensorflow"]["releases"]
    assert newest["python"] in knowledge.table("python")["cpython"]
    assert newest["jax"] and newest["cuda"]


def test_a_new_row_moves_the_answer(monkeypatch):
    tables = knowledge.load()["knowledge"]
    frameworks = dict(tables["frameworks"])
    frameworks["torch"] = dict(frameworks["torch"], releases={**frameworks["torch"]["releases"], "9.1": {}})
    monkeypatch.setitem(tables, "frameworks", frameworks)
    assert knowledge_currency.newest_known()["torch"] == "9.1"


def test_snapshot_date_is_not_older_than_any_retrieval_cited():
    date = knowledge_currency.snapshot_date()
    assert date and all(d <= date for d in knowledge_currency.retrieval_dates())


def test_version_and_rules_json_say_how_current_the_knowledge_is():
    out = run_cli("--version").stdout.decode()
    first, second = out.splitlines()[:2]
    assert first.startswith("mllint ")
    assert second == knowledge_currency.version_text()
    assert second.startswith(f"knowledge snapshot {knowledge_currency.snapshot_date()}; newest known: torch ")
    data = json.loads(run_cli("rules", "--format", "json", "--no-config").stdout)
    assert data["knowledge"] == knowledge_currency.currency()
