from __future__ import annotations

import pytest

from transitions_analysis import config
from transitions_analysis.core.errors import InputError
from transitions_analysis.core.roles import is_facilitator, load_role_table, normalise_role, parse_role_table

CASES = {
    "elu": [
        "élu", "élue", "élu·e", "élu.e", "Elu(e)", "ELU", "élu·e·s", "Élu-e", "élu(e)s", "Élus",
        "maire", "Maire de Saint-Vérand", "adjointe", "Adjoint au maire", "adjointe à l'urbanisme",
        "adjoint urbanisme", "conseiller municipal", "Conseillère communautaire", "conseillers municipaux",
        "conseiller·ère municipal·e", "vice-présidente", "VP mobilités", "président de la CC",
        "Présidente de la communauté de communes",
    ],
    "agent": [
        "agent", "agente", "Agent·e territorial·e", "technicien", "technicienne", "technicien·ne",
        "DGS", "directrice générale des services", "chargé de mission", "chargée de mission",
        "chargé·e de mission PCAET", "cheffe de projet", "chef de service", "animateur territorial",
        "adjoint administratif", "secrétaire de mairie", "Directeur·rice de l'aménagement",
    ],
    "etat": [
        "DDT", "DDTM 17", "DREAL", "préfecture", "sous-préfet", "sous-préfète", "services de l'État",
        "Services de l'Etat", "ADEME", "Banque des territoires", "chargée de mission DDT",
        "Agent de l'État",
    ],
    "socio_eco": [
        "entreprise", "association", "ESS", "chambre consulaire", "CCI", "chambre d'agriculture",
        "Chambre d'Agriculture de la Drôme", "collectif citoyen", "habitant", "habitante", "coopérative",
        "bureau d'études", "Cheffe d'entreprise", "présidente d'association", "technicien chambre d'agriculture",
        "asso vélo",
    ],
    "inconnu": ["", "   ", "retraité", "Mairie de Loos", "???", "Collectivité"],
}


@pytest.mark.parametrize("role,label", [(r, lab) for r, labels in CASES.items() for lab in labels])
def test_labels_people_really_write_are_normalised(role, label):
    assert normalise_role(label) == role


def test_none_is_unknown():
    assert normalise_role(None) == "inconnu"


def test_dual_roles_follow_the_documented_priority():
    # elected role wins over a socio-economic one; the employer (State) over the job title
    assert normalise_role("Élue, cheffe d'entreprise") == "elu"
    assert normalise_role("chargé d'études DREAL") == "etat"
    assert normalise_role("chargée de mission à la CCI") == "socio_eco"


def test_facilitators_are_whole_labels_not_job_titles():
    assert is_facilitator("Animatrice")
    assert is_facilitator("co-animation")
    assert is_facilitator("Facilitateur")
    assert not is_facilitator("Animateur territorial")
    assert not is_facilitator("Élue")
    assert not is_facilitator("")


def test_researchers_extend_the_table_with_a_file(tmp_path):
    base = config.ROLES_TABLE.read_text(encoding="utf-8")
    assert normalise_role("ostréicultrice du bassin") == "socio_eco"
    assert normalise_role("retraitée") == "inconnu"
    extended = tmp_path / "roles.yaml"
    extended.write_text(base.replace("      - habitant\n", "      - habitant\n      - retraite\n"), encoding="utf-8")
    table = load_role_table(extended)
    assert normalise_role("Retraitée", table=table) == "socio_eco"
    assert normalise_role("retraité·e·s", table=table) == "socio_eco"


def test_role_table_validation_names_file_and_key(tmp_path):
    with pytest.raises(InputError, match="clé inconnue 'rolez'") as exc:
        parse_role_table({"rolez": {}}, path="mes_roles.yaml")
    assert "mes_roles.yaml" in str(exc.value)
    with pytest.raises(InputError, match="rôle inconnu 'maire'"):
        parse_role_table({"roles": {"maire": {"words": ["maire"]}}}, path="r.yaml")
    with pytest.raises(InputError, match="clé inconnue 'mots'"):
        parse_role_table({"roles": {"elu": {"mots": ["maire"]}}}, path="r.yaml")
    broken = tmp_path / "roles.yaml"
    broken.write_text("roles:\n  elu: [\n", encoding="utf-8")
    with pytest.raises(InputError, match="YAML illisible") as exc:
        load_role_table(broken)
    assert exc.value.line is not None


def test_a_minimal_table_works_and_priority_defaults():
    table = parse_role_table({"roles": {"elu": {"words": ["maire"]}, "agent": {"words": ["agent"]}}})
    assert normalise_role("Maires", table=table) == "elu"
    assert normalise_role("agent du maire", table=table) == "elu"
    assert normalise_role("DDT", table=table) == "inconnu"
