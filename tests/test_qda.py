"""REFI-QDA exchange: exports validate and are byte-stable, round trips are exact, real files from
ATLAS.ti and Taguette import with a report, hostile files are refused with a French QDAError."""

from __future__ import annotations

import io
import json
import shutil
import unicodedata
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import xmlschema
from lxml import etree

from transitions_analysis import config
from transitions_analysis.cli import main
from transitions_analysis.core.errors import InputError, QDAError
from transitions_analysis.core.ids import make_respondent_id
from transitions_analysis.exchange import (
    Limits,
    validate_file,
    export_qdc,
    export_qdpx,
    import_qdc,
    import_qdpx,
    make_guid,
    read_qdc,
)
from transitions_analysis.exchange.export import MACHINE_USERS
from transitions_analysis.core.schema import CODINGS, RESPONSES

from qda_project import TEXTS, make_coding_dir

QDA_FIXTURES = Path(__file__).parent / "fixtures" / "qda"
SCHEMAS = config.PACKAGE_DATA_DIR / "refi-qda"
NS = {"q": "urn:QDA-XML:project:1.0", "c": "urn:QDA-XML:codebook:1.0"}

@pytest.fixture()
def coding_dir(tmp_path: Path) -> Path:
    return make_coding_dir(tmp_path / "codage")


@pytest.fixture()
def exported(coding_dir: Path, tmp_path: Path) -> Path:
    return export_qdpx(coding_dir, tmp_path / "projet.qdpx")


def _as_text(df: pd.DataFrame) -> pd.DataFrame:
    """Every cell as written in a CSV ("" for missing), to compare tables read back and built."""
    return df.apply(lambda col: col.map(lambda v: "" if pd.isna(v) else str(v))).astype(object)


def _qde(path: Path) -> etree._Element:
    with zipfile.ZipFile(path) as z:
        return etree.fromstring(z.read("project.qde"))


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def _project(body: str, *, sets: str = "") -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<Project xmlns="urn:QDA-XML:project:1.0" name="essai" origin="test">{body}{sets}</Project>'
    ).encode("utf-8")


# --------------------------------------------------------------------------- export


def test_export_qdc_validates_nests_codes_and_keeps_ids(tmp_path):
    path = export_qdc(None, tmp_path / "codebook.qdc")
    xmlschema.XMLSchema(str(SCHEMAS / "Codebook.xsd")).validate(str(path))
    root = etree.parse(str(path)).getroot()
    principle = root.find("c:Codes/c:Code[@guid='%s']" % make_guid("code", "principle"), NS)
    assert principle is not None and principle.get("isCodable") == "false"
    children = principle.findall("c:Code", NS)
    assert [c.get("guid") for c in children] == [make_guid("code", i) for i in
                                                  ("principle.engagement", "principle.cooperation", "principle.systemic", "principle.value")]
    coop = children[1]
    assert coop.get("name") == "Coopération" and coop.get("color", "").startswith("#")
    assert coop.findtext("c:Description", namespaces=NS).endswith("Identifiant transitions-analysis : principle.cooperation")
    again = export_qdc(None, tmp_path / "again.qdc")
    assert again.read_bytes() == path.read_bytes()


def test_export_qdc_then_import_gives_the_codebook_back(tmp_path):
    from transitions_analysis.core.codebook import load_codebook

    original = load_codebook()
    path = export_qdc(original, tmp_path / "codebook.qdc")
    back = import_qdc(path)
    assert [c["id"] for c in back["codes"]] == original.ids()
    for code, entry in zip(original.codes, back["codes"]):
        assert entry["label"] == code.label
        assert entry["description"] == code.description
        assert entry.get("include", []) == list(code.include)
        assert entry.get("exclude", []) == list(code.exclude)
        assert entry.get("examples", []) == list(code.examples)
        assert entry.get("color") == code.color


def test_import_qdc_refuses_two_codes_with_one_guid(tmp_path, capsys):
    from transitions_analysis.core.codebook import load_codebook

    path = export_qdc(load_codebook(), tmp_path / "codebook.qdc")
    root = etree.parse(str(path)).getroot()
    codes = [el for el in root.iter() if etree.QName(el).localname == "Code"]
    codes[1].set("guid", codes[0].get("guid"))
    etree.ElementTree(root).write(str(path), xml_declaration=True, encoding="utf-8")
    with pytest.raises(QDAError, match="même GUID") as info:
        import_qdc(path)
    assert codes[0].get("name") in str(info.value) and codes[1].get("name") in str(info.value)
    assert main(["import-qdc", str(path), "--out", str(tmp_path / "codebook.yaml")]) == 2
    assert "même GUID" in capsys.readouterr().err and not (tmp_path / "codebook.yaml").exists()


def test_export_qdpx_is_schema_valid_and_selections_land_on_the_evidence(exported, coding_dir):
    root = _qde(exported)
    xmlschema.XMLSchema(str(SCHEMAS / "Project.xsd")).validate(etree.tostring(root).decode("utf-8"))
    codings = pd.read_csv(coding_dir / "codings.csv", dtype=str, keep_default_na=False)
    users = {u.get("guid"): u.get("id") for u in root.iterfind("q:Users/q:User", NS)}
    with zipfile.ZipFile(exported) as z:
        names = z.namelist()
        assert names[0] == "project.qde" and names[1:] == sorted(names[1:])
        assert all(n.startswith("sources/") and n.endswith(".txt") for n in names[1:])
        assert {i.date_time for i in z.infolist()} == {(2021, 1, 1, 0, 0, 0)}
        checked = 0
        for source in root.iterfind("q:Sources/q:TextSource", NS):
            member = source.get("plainTextPath").replace("internal://", "sources/")
            text = z.read(member).decode("utf-8")
            rid = source.get("name")
            assert source.find("q:Coding", NS) is None  # QualCoder ignores codings directly under a source
            for sel in source.iterfind("q:PlainTextSelection", NS):
                start, end = int(sel.get("startPosition")), int(sel.get("endPosition"))
                coder = users[sel.get("creatingUser")]
                lines = sel.findtext("q:Description", namespaces=NS).splitlines()
                # one coder per selection: its codings, its users and its description lines are that coder's
                assert {users[c.get("creatingUser")] for c in sel.findall("q:Coding", NS)} == {coder}
                assert all(f" · {MACHINE_USERS.get(coder, coder)}" in line for line in lines)
                mine = codings[(codings.response_id == rid) & (codings.coder == coder)]
                if lines[0].endswith(" · toute la réponse"):  # response-level coding: the whole text
                    assert (start, end) == (0, len(text))
                    expected = mine[mine.start == ""]
                else:
                    expected = mine[(mine.start == str(start)) & (mine.end == str(end))]
                    assert set(expected.evidence) == {text[start:end]}
                assert len(sel.findall("q:Coding", NS)) == len(expected) == len(lines) > 0
                checked += len(expected)
    assert checked == len(codings)
    # the span coded by rules, model and Camille is three selections, one per coder
    spans = [(s.get("startPosition"), s.get("endPosition")) for s in root.iterfind(".//q:PlainTextSelection", NS)]
    assert len(spans) == 9 and len(set(spans)) == 7


def test_export_qdpx_names_users_cases_and_variables(exported):
    root = _qde(exported)
    users = [(u.get("id"), u.get("name")) for u in root.iterfind("q:Users/q:User", NS)]
    # people first: QualCoder makes the first user the one who codes there
    assert users == [("Camille", "Camille"), ("Dominique", "Dominique"),
                     ("model", "transitions-analysis (modèle)"), ("rules", "transitions-analysis (règles)")]
    variables = {v.get("guid"): v.get("name") for v in root.iterfind("q:Variables/q:Variable", NS)}
    assert len(set(variables.values())) == len(variables) == 12  # names are unique (QualCoder keys them by name)
    cases = root.findall("q:Cases/q:Case", NS)
    assert len(cases) == 2
    first = cases[0] if cases[0].get("name") == make_respondent_id("retours", 0) else cases[1]
    values = {variables[vv.find("q:VariableRef", NS).get("targetGUID")]: vv.findtext("q:TextValue", namespaces=NS)
              for vv in first.iterfind("q:VariableValue", NS)}
    assert values == {"rôle du répondant": "elu", "territoire du répondant": "Pays de Brière",
                      "session du répondant": "2023-03-15"}
    assert len(first.findall("q:SourceRef", NS)) == 2
    # each source carries its respondent, role, territory and session itself (QualCoder ignores SourceRef)
    source_vars = set()
    for source in root.iterfind("q:Sources/q:TextSource", NS):
        got = {variables[vv.find("q:VariableRef", NS).get("targetGUID")] for vv in source.iterfind("q:VariableValue", NS)}
        assert {"répondant", "rôle", "territoire", "session"} <= got
        source_vars |= got
    case_vars = {variables[vv.find("q:VariableRef", NS).get("targetGUID")] for vv in root.iterfind(".//q:Case/q:VariableValue", NS)}
    assert not source_vars & case_vars


def test_export_qdpx_is_byte_identical_for_the_same_inputs(coding_dir, tmp_path):
    first = export_qdpx(coding_dir, tmp_path / "a.qdpx").read_bytes()
    moved = shutil.copytree(coding_dir, tmp_path / "ailleurs" / "autre-nom")
    second = export_qdpx(moved, tmp_path / "b.qdpx").read_bytes()
    assert first == second
    codings = pd.read_csv(coding_dir / "codings.csv", dtype=str, keep_default_na=False)
    codings.loc[0, "coder"] = "Claude"
    codings.to_csv(moved / "codings.csv", index=False, lineterminator="\n")
    assert export_qdpx(moved, tmp_path / "c.qdpx").read_bytes() != first


def test_export_refuses_evidence_that_is_not_the_text(coding_dir, tmp_path):
    codings = pd.read_csv(coding_dir / "codings.csv", dtype=str, keep_default_na=False)
    codings.loc[3, "evidence"] = "autre chose"
    codings.to_csv(coding_dir / "codings.csv", index=False, lineterminator="\n")
    with pytest.raises(InputError) as err:
        export_qdpx(coding_dir, tmp_path / "x.qdpx")
    assert err.value.row == 5 and err.value.column == "evidence" and "codings.csv" in str(err.value)


# --------------------------------------------------------------------------- round trip


def test_round_trip_gives_back_codings_and_responses_exactly(exported, coding_dir):
    result = import_qdpx(exported)
    original = pd.read_csv(coding_dir / "codings.csv", dtype=str, keep_default_na=False)
    back = result.codings
    key = ["response_id", "code", "coder", "start", "end"]

    def norm(df):
        out = _as_text(df[key + ["evidence", "source", "negated", "score"]])
        out["negated"] = out["negated"].str.lower()
        out["score"] = out["score"].astype(float).map("{:.6g}".format)
        return out.sort_values(key).reset_index(drop=True)

    pd.testing.assert_frame_equal(norm(back), norm(original))
    responses = pd.read_csv(coding_dir / "responses.csv", dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(_as_text(result.responses), _as_text(responses[list(RESPONSES)]))
    assert result.report == [] and result.missing_codes == []
    # no segments given: empty segment_id, one whole-text segment per answer
    assert set(back["segment_id"]) == {""}
    assert list(result.segments["end"]) == [len(t) for t in TEXTS]


def test_french_text_survives_byte_for_byte(exported, coding_dir, tmp_path):
    out = tmp_path / "importé"
    assert main(["import-qdpx", str(exported), "--out", str(out)]) == 0
    before = (coding_dir / "responses.csv").read_bytes()
    after = (out / "responses.csv").read_bytes()
    assert after == before
    for word in ("élu·es".encode(), "« travailler ensemble »".encode(), "cœur".encode(), "🌱".encode(), b"\r\n"):
        assert word in after
    evidence = pd.read_csv(out / "codings.csv", dtype=str, keep_default_na=False)["evidence"]
    assert "« travailler ensemble »" in set(evidence) and "œuvrer avec les habitant·es" in set(evidence)


def test_round_trip_with_segments_maps_codings_back_to_their_segments(exported, coding_dir):
    segments = pd.read_csv(coding_dir / "segments.csv", dtype=str, keep_default_na=False)
    result = import_qdpx(exported, segments=segments)
    original = pd.read_csv(coding_dir / "codings.csv", dtype=str, keep_default_na=False)
    key = ["response_id", "code", "coder", "start", "end", "segment_id"]
    got = _as_text(result.codings[key]).sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, _as_text(original[key]).sort_values(key).reset_index(drop=True))
    assert list(result.segments["segment_id"]) == list(segments["segment_id"])


def test_import_cli_writes_the_same_tables_as_code(exported, tmp_path):
    out = tmp_path / "import"
    assert main(["import-qdpx", str(exported), "--out", str(out)]) == 0
    for name in ("responses.csv", "rejected.csv", "segments.csv", "codings.csv", "expectations.csv", "run.json"):
        assert (out / name).is_file(), name
    assert list(pd.read_csv(out / "codings.csv").columns) == list(CODINGS)
    assert pd.read_csv(out / "expectations.csv").empty
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert run["counts"]["codings"] == 9 and run["import_report"] == []
    again = tmp_path / "import2"
    main(["import-qdpx", str(exported), "--out", str(again)])
    for name in ("codings.csv", "responses.csv", "run.json"):
        assert (out / name).read_bytes() == (again / name).read_bytes()


def test_export_can_leave_machine_codings_out_for_blind_coding(coding_dir, tmp_path):
    assert main(["export-qdpx", str(coding_dir), "--out", str(tmp_path / "v.qdpx"), "--blank"]) == 0
    blank = import_qdpx(tmp_path / "v.qdpx")
    assert blank.codings.empty and len(blank.responses) == len(TEXTS) and blank.users.empty
    humans = import_qdpx(export_qdpx(coding_dir, tmp_path / "h.qdpx", coders=["Camille", "Dominique"]))
    assert set(humans.codings["coder"]) == {"Camille", "Dominique"} and set(humans.codings["source"]) == {"human"}


def test_export_cli_and_import_qdc_cli(coding_dir, tmp_path):
    from transitions_analysis.core.codebook import load_codebook

    assert main(["export-qdpx", str(coding_dir), "--out", str(tmp_path / "p.qdpx")]) == 0
    assert zipfile.is_zipfile(tmp_path / "p.qdpx")
    assert main(["export-qdc", "--out", str(tmp_path / "c.qdc")]) == 0
    assert main(["import-qdc", str(tmp_path / "c.qdc"), "--out", str(tmp_path / "c.yaml")]) == 0
    assert load_codebook(tmp_path / "c.yaml").ids() == load_codebook().ids()


@pytest.mark.model
@pytest.mark.slow
def test_output_of_code_on_the_sample_round_trips(tmp_path):
    """The real coding engine's folder (a transcript of the sample) exports and comes back exactly."""
    pytest.importorskip("transitions_analysis.coding")
    transcript = config.SAMPLE_FEEDBACK_DIR / "2023-03-15_transcription_groupe_elus.txt"
    if not transcript.is_file():
        pytest.skip("transcription d'exemple absente")
    out = tmp_path / "code"
    assert main(["code", str(transcript), "--out", str(out), "--no-cache"]) == 0
    original = pd.read_csv(out / "codings.csv", dtype=str, keep_default_na=False)
    assert len(original) > 0
    path = export_qdpx(out, tmp_path / "p.qdpx")
    xmlschema.XMLSchema(str(SCHEMAS / "Project.xsd")).validate(etree.tostring(_qde(path)).decode("utf-8"))
    assert main(["import-qdpx", str(path), "--out", str(tmp_path / "back"), "--segments", str(out / "segments.csv")]) == 0
    back = pd.read_csv(tmp_path / "back" / "codings.csv", dtype=str, keep_default_na=False)
    key = ["segment_id", "response_id", "code", "coder", "start", "end", "evidence", "source", "score"]
    pd.testing.assert_frame_equal(back[key].sort_values(key).reset_index(drop=True),
                                  original[key].sort_values(key).reset_index(drop=True))
    assert (tmp_path / "back" / "responses.csv").read_bytes() == (out / "responses.csv").read_bytes()


# --------------------------------------------------------------------------- real files


def test_atlasti_project_imports_codes_users_and_selections_and_names_every_loss():
    result = import_qdpx(QDA_FIXTURES / "atlasti8-standard-project.qdpx")
    # users who coded nothing (here « ATLAS.ti » and « Sebastian Petrausch ») are not coders: left out, named
    assert list(result.users["name"]) == ["Friedrich Markgraf"] and list(result.users["codings"]) == [7]
    assert any("2 utilisateur(s) sans aucun codage" in m and "« Sebastian Petrausch »" in m for m in result.report)
    assert len(result.codes) == 14
    assert dict(zip(result.codes["name"], result.codes["color"]))["cornflakes"] == "#DC0000"
    # codes that are not in our codebook are kept under their name and listed
    assert "Coke::diet Coke" in result.missing_codes and "happiness" in set(result.codings["code"])
    # the seven codings on text selections come in, with positions but no text (files missing)
    assert len(result.codings) == 7 and set(result.codings["coder"]) == {"Friedrich Markgraf"}
    assert (result.codings["start"].astype(int) <= result.codings["end"].astype(int)).all()
    assert set(result.codings["evidence"]) == {""}
    report = unicodedata.normalize("NFC", "\n".join(result.report))
    for name in ("Mabel.txt", "Mabêl 2ième.txt", "Simon.docx", "cornflakes-n-milk.jpg",
                 "Kellogg's Passion for Nutrition.pdf", "Jeanine's Breakfast.m4a", "1960s Coca Cola commercial.mp4"):
        assert f"« {name} »" in report, name
    assert "Project.qde" in report
    assert len(result.rejected) == 12 and set(result.rejected["reason"]) == {"missing_text", "not_text"}


def test_validate_file_accepts_our_exports_and_names_taguette_deviation(exported, tmp_path):
    assert validate_file(exported) == []
    assert validate_file(export_qdc(None, tmp_path / "c.qdc")) == []
    assert validate_file(QDA_FIXTURES / "atlasti8-standard-project.qdpx") == []
    errors = validate_file(QDA_FIXTURES / "taguette-1.5.2-codebook.qdc")
    assert len(errors) == 1 and "Sets" in errors[0]


def test_segments_that_no_longer_match_the_text_leave_codings_at_response_level(exported, coding_dir):
    segments = pd.read_csv(coding_dir / "segments.csv", dtype=str, keep_default_na=False)
    first = segments.loc[0, "response_id"]
    segments.loc[segments.response_id == first, "text"] = "texte modifié"
    result = import_qdpx(exported, segments=segments)
    assert set(result.codings.loc[result.codings.response_id == first, "segment_id"]) == {""}
    assert (result.codings.loc[result.codings.response_id != first, "segment_id"] != "").sum() > 0
    assert any(first in m and "segments" in m for m in result.report)


def test_taguette_codebook_imports_despite_empty_sets():
    result = read_qdc(QDA_FIXTURES / "taguette-1.5.2-codebook.qdc")
    codes = {c["id"]: c for c in result.codebook["codes"]}
    assert list(codes) == ["emotions_negatives", "emotions_negatives.colere", "espoir"]
    assert codes["emotions_negatives.colere"]["label"] == "Colère"
    assert any("<Sets/>" in m for m in result.report)
    assert any("Émotions négatives" in m for m in result.report)


def test_taguette_nested_french_codebook_becomes_a_valid_yaml(tmp_path):
    from transitions_analysis.core.codebook import load_codebook

    out = tmp_path / "codebook.yaml"
    assert main(["import-qdc", str(QDA_FIXTURES / "taguette-1.5.2-codebook-fr-nested.qdc"), "--out", str(out)]) == 0
    book = load_codebook(out)
    labels = {c.id: c.label for c in book.codes}
    assert labels["cooperation.entre_elu_es_et_agent_es"] == "Entre élu·es et agent·es"
    assert labels["cooperation.avec_l_etat"] == "Avec l'État"
    assert labels["oeuvrer_au_long_cours"] == "Œuvrer au long cours"
    assert book.get("emotions_negatives.decouragement").parent == "emotions_negatives"
    assert "Entre élu·es et agent·es" in out.read_text(encoding="utf-8")


@pytest.mark.shared
def test_fixtures_are_the_shared_files(shared_dir):
    for name in ("atlasti8-standard-project.qdpx", "taguette-1.5.2-codebook.qdc"):
        assert (QDA_FIXTURES / name).read_bytes() == (shared_dir / "refi-qda" / "examples" / name).read_bytes()
    for name in ("Codebook.xsd", "Project.xsd"):
        assert (SCHEMAS / name).read_bytes() == (shared_dir / "refi-qda" / name).read_bytes()


# --------------------------------------------------------------------------- messy files


def _rezip(src: Path, dst: Path, rename: dict[str, str], edit=None) -> Path:
    with zipfile.ZipFile(src) as z:
        members = {rename.get(n, n): z.read(n) for n in z.namelist()}
    if edit:
        members = edit(members)
    return _zip(dst, members)


def test_uppercase_names_and_empty_sets_are_tolerated_and_reported(exported, tmp_path):
    def edit(members):
        out = {}
        for name, data in members.items():
            if name.endswith(".qde"):
                data = data.replace(b"</Project>", b"<Sets/></Project>")
            out[name.replace("sources/", "Sources/")] = data
        return out

    messy = _rezip(exported, tmp_path / "messy.qdpx", {"project.qde": "Project.qde"}, edit)
    result = import_qdpx(messy)
    assert len(result.codings) == 9 and len(result.responses) == len(TEXTS)
    report = "\n".join(result.report)
    assert "Project.qde" in report and "Sources/" in report and "<Sets/>" in report


def _crlf_project(text: str, start: int, end: int, name: str) -> bytes:
    code = make_guid("code", "expectation")
    body = (
        f'<Users><User guid="{make_guid("user", "x")}" name="Alix"/></Users>'
        f'<CodeBook><Codes><Code guid="{code}" name="Attente" isCodable="true"/></Codes></CodeBook>'
        f'<Sources><TextSource guid="{make_guid("s", "1")}" name="entretien.txt" plainTextPath="internal://T.txt">'
        f'<PlainTextSelection guid="{make_guid("sel", "1")}" name="{name}" startPosition="{start}" endPosition="{end}">'
        f'<Coding guid="{make_guid("c", "1")}" creatingUser="{make_guid("user", "x")}"><CodeRef targetGUID="{code}"/></Coding>'
        "</PlainTextSelection></TextSource></Sources>"
    )
    return _project(body)


def test_crlf_positions_counted_on_lf_text_are_adjusted(tmp_path):
    text = "Première ligne.\r\nDeuxième ligne.\r\nOn attend de l'État un cap clair."
    target = "On attend de l'État un cap clair."
    lf_start = text.replace("\r\n", "\n").index(target)
    path = _zip(tmp_path / "crlf.qdpx", {"project.qde": _crlf_project(text, lf_start, lf_start + len(target), "On attend de l'État…"),
                                         "sources/T.txt": text.encode("utf-8")})
    result = import_qdpx(path)
    row = result.codings.iloc[0]
    assert row["evidence"] == target and text[row["start"]:row["end"]] == target
    assert row["code"] == "expectation" and row["coder"] == "Alix"
    assert any("CRLF" in m for m in result.report)


def test_crlf_positions_counted_on_the_file_text_are_kept(tmp_path):
    text = "Première ligne.\r\nDeuxième ligne.\r\nOn attend de l'État un cap clair."
    target = "On attend de l'État un cap clair."
    start = text.index(target)
    path = _zip(tmp_path / "crlf.qdpx", {"project.qde": _crlf_project(text, start, start + len(target), "On attend de l'État…"),
                                         "sources/T.txt": text.encode("utf-8")})
    result = import_qdpx(path)
    assert result.codings.iloc[0]["evidence"] == target
    assert not any("CRLF" in m for m in result.report)


def test_codes_missing_from_the_codebook_are_kept_and_listed(tmp_path):
    text = "Nous voulons plus de moyens."
    path = _zip(tmp_path / "x.qdpx", {"project.qde": _crlf_project(text, 0, 4, "Nous").replace(
        b'name="Attente"', b'name="Moyens financiers"').replace(make_guid("code", "expectation").encode(), b"11111111-2222-3333-4444-555555555555"),
        "sources/T.txt": text.encode("utf-8")})
    result = import_qdpx(path)
    assert result.codings.iloc[0]["code"] == "Moyens financiers"
    assert result.missing_codes == ["Moyens financiers"]
    assert any("Moyens financiers" in m and "absent" in m for m in result.report)


def test_external_text_is_never_read_and_is_reported(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("ne doit jamais être lu", encoding="utf-8")
    qde = _crlf_project("x", 0, 1, "x").replace(b"internal://T.txt", f"absolute://{secret}".encode())
    result = import_qdpx(_zip(tmp_path / "ext.qdpx", {"project.qde": qde}))
    assert result.responses.empty and result.rejected.iloc[0]["reason"] == "external_text"
    assert len(result.codings) == 1 and result.codings.iloc[0]["evidence"] == ""
    assert any("« entretien.txt »" in m for m in result.report)


# --------------------------------------------------------------------------- hostile files


@pytest.mark.parametrize(
    ("member", "reason"),
    [("../../evil.txt", "sortant"), ("/etc/evil.txt", "absolu"), ("C:/evil.txt", "lecteur"), ("sources\\..\\..\\evil.txt", "sortant")],
)
def test_path_escapes_are_refused(tmp_path, member, reason):
    path = tmp_path / "slip.qdpx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("project.qde", _project(""))
        z.writestr(zipfile.ZipInfo(member), b"x")
    with pytest.raises(QDAError) as err:
        import_qdpx(path)
    assert reason in str(err.value) and "slip.qdpx" in str(err.value)


def test_symlink_members_are_refused(tmp_path):
    path = tmp_path / "link.qdpx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("project.qde", _project(""))
        info = zipfile.ZipInfo("sources/T.txt")
        info.create_system = 3
        info.external_attr = 0o120777 << 16
        z.writestr(info, "/etc/passwd")
    with pytest.raises(QDAError, match="lien symbolique"):
        import_qdpx(path)


def test_zip_bomb_is_refused_from_its_declared_ratio(tmp_path):
    path = tmp_path / "bomb.qdpx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("project.qde", _project(""))
        z.writestr("sources/T.txt", b"\0" * (8 * 1024 * 1024))
    assert (path.stat().st_size) < 100_000
    with pytest.raises(QDAError, match="bombe ZIP"):
        import_qdpx(path)


def test_lying_sizes_are_caught_while_reading(tmp_path):
    """Declared sizes patched down: the bytes actually inflated are counted."""
    data = ("Texte long. " * 20_000).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("project.qde", data)
    raw = bytearray(buffer.getvalue())
    real = len(data).to_bytes(4, "little")
    fake = (100).to_bytes(4, "little")
    assert raw.count(real) == 2  # local header + central directory
    path = tmp_path / "lie.qdpx"
    path.write_bytes(bytes(raw.replace(real, fake)))
    with pytest.raises(QDAError):
        import_qdpx(path)


def test_size_and_count_limits(exported):
    with pytest.raises(QDAError, match="éléments"):
        import_qdpx(exported, limits=Limits(max_members=2))
    with pytest.raises(QDAError, match="octets décompressés"):
        import_qdpx(exported, limits=Limits(max_total_bytes=500))


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<Project xmlns="urn:QDA-XML:project:1.0" name="&lol3;"/>"""


def test_billion_laughs_and_xxe_are_refused(tmp_path):
    with pytest.raises(QDAError, match="DOCTYPE"):
        import_qdpx(_zip(tmp_path / "laughs.qdpx", {"project.qde": BILLION_LAUGHS}))
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET", encoding="utf-8")
    xxe = (f'<?xml version="1.0"?><!DOCTYPE c [<!ENTITY x SYSTEM "file://{secret}">]>'
           '<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes><Code guid="11111111-2222-3333-4444-555555555555" '
           'name="&x;" isCodable="true"/></Codes></CodeBook>').encode()
    (tmp_path / "xxe.qdc").write_bytes(xxe)
    with pytest.raises(QDAError, match="DOCTYPE") as err:
        import_qdc(tmp_path / "xxe.qdc")
    assert "SECRET" not in str(err.value)
    utf16 = BILLION_LAUGHS.decode().replace('version="1.0"', 'version="1.0" encoding="UTF-16"').encode("utf-16")
    with pytest.raises(QDAError, match="DOCTYPE"):
        import_qdpx(_zip(tmp_path / "laughs16.qdpx", {"project.qde": utf16}))


def test_broken_files_give_french_errors_naming_file_and_member(tmp_path):
    (tmp_path / "pas-un-zip.qdpx").write_text("bonjour", encoding="utf-8")
    with pytest.raises(QDAError, match="pas une archive ZIP") as err:
        import_qdpx(tmp_path / "pas-un-zip.qdpx")
    assert "pas-un-zip.qdpx" in str(err.value)
    with pytest.raises(QDAError, match="project.qde absent"):
        import_qdpx(_zip(tmp_path / "vide.qdpx", {"sources/a.txt": b"x"}))
    with pytest.raises(QDAError) as err:
        import_qdpx(_zip(tmp_path / "casse.qdpx", {"project.qde": b"<Project name='x'>\n<Users>\n</Project>"}))
    assert "XML mal formé" in str(err.value) and "casse.qdpx:project.qde" in str(err.value) and err.value.line
    with pytest.raises(QDAError, match="<CodeBook>"):
        import_qdpx(_zip(tmp_path / "autre.qdpx", {"project.qde": b"<CodeBook/>"}))
    (tmp_path / "p.qdc").write_bytes(b"<CodeBook xmlns='urn:QDA-XML:codebook:1.0'><Codes>")
    with pytest.raises(QDAError, match="XML mal formé"):
        import_qdc(tmp_path / "p.qdc")


def test_cli_reports_a_hostile_file_in_one_french_line(tmp_path, capsys):
    (tmp_path / "x.qdpx").write_text("bonjour", encoding="utf-8")
    assert main(["import-qdpx", str(tmp_path / "x.qdpx"), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("erreur : ") and "x.qdpx" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_export_warns_when_qualcoder_would_shift_positions(coding_dir, tmp_path, caplog):
    responses = pd.read_csv(coding_dir / "responses.csv", dtype=str, keep_default_na=False)
    export_qdpx(coding_dir, tmp_path / "a.qdpx")  # TEXTS[1]: its first line ending is CR LF, kept by QualCoder
    assert "première fin de ligne" not in caplog.text
    responses.loc[3, "text"] = "Ligne un\nLigne deux\r\nLigne trois"
    responses.to_csv(coding_dir / "responses.csv", index=False, lineterminator="\n")
    export_qdpx(coding_dir, tmp_path / "b.qdpx")
    assert f"1 réponse(s) dont la première fin de ligne est LF et une suivante CR LF ({responses.loc[3, 'response_id']})" in caplog.text
