#!/usr/bin/env python3
"""Synthetic national-size extraction files in the published formats (docs/directory.md), for the
import benchmark and tests: PS_LibreAcces_Personne_activite (one row per activity, trailing '|') and
Extraction_Correspondance_MSSante (one row per mailbox), with valid RPPS Luhn keys and FINESS keys,
French names with accents, UTF-8, CRLF. Deterministic for a seed.

  gen_directory.py OUT_DIR [--activities 2000000] [--mailboxes 500000] [--change 0.01] [--seed 1]

--change writes a second pair (*_next.txt) where that fraction of rows changed, was withdrawn or added."""
import argparse
import pathlib
import random

CORRESPONDANCE = [
    "Type de BAL", "Adresse BAL", "Type Identifiant PP", "Identifiant PP", "Identification nationale PP",
    "Type identifiant structure", "Identification Structure", "Service de rattachement", "Civilité d'exercice",
    "Nom d'exercice", "Prénom d'exercice", "Catégorie profession", "Libellé de catégorie profession",
    "Code Profession", "Libellé Profession", "Code savoir-faire", "Libellé savoir-faire", "Dématérialisation",
    "Raison Sociale structure BAL", "Enseigne commerciale structure BAL", "L2COMPLEMENTLOCALISATION",
    "L3COMPLEMENTDISTRIBUTION", "L4NUMEROVOIE", "L4COMPLEMENTNUMEROVOIE", "NL4TYPEVOIE", "L4LIBELLEVOIE",
    "L5LIEUDITMENTION", "L6LIGNEACHEMINEMENT", "Code postal", "Département", "Pays"]
ACTIVITE = (
    "Type d'identifiant PP|Identifiant PP|Identification nationale PP|Code civilité d'exercice|"
    "Libellé civilité d'exercice|Code civilité|Libellé civilité|Nom d'exercice|Prénom d'exercice|Code profession|"
    "Libellé profession|Code catégorie professionnelle|Libellé catégorie professionnelle|Code type savoir-faire|"
    "Libellé type savoir-faire|Code savoir-faire|Libellé savoir-faire|Code mode exercice|Libellé mode exercice|"
    "Numéro SIRET site|Numéro SIREN site|Numéro FINESS site|Numéro FINESS établissement juridique|"
    "Identifiant technique de la structure|Raison sociale site|Enseigne commerciale site|"
    "Complément destinataire (coord. structure)|Complément point géographique (coord. structure)|"
    "Numéro Voie (coord. structure)|Indice répétition voie (coord. structure)|Code type de voie (coord. structure)|"
    "Libellé type de voie (coord. structure)|Libellé Voie (coord. structure)|Mention distribution (coord. structure)|"
    "Bureau cedex (coord. structure)|Code postal (coord. structure)|Code commune (coord. structure)|"
    "Libellé commune (coord. structure)|Code pays (coord. structure)|Libellé pays (coord. structure)|"
    "Téléphone (coord. structure)|Téléphone 2 (coord. structure)|Télécopie (coord. structure)|"
    "Adresse e-mail (coord. structure)|Code Département (structure)|Libellé Département (structure)|"
    "Ancien identifiant de la structure|Autorité d'enregistrement|Code secteur d'activité|"
    "Libellé secteur d'activité|Code section tableau pharmaciens|Libellé section tableau pharmaciens|").split("|")[:-1]

FAMILY = ["MARTIN", "BERNARD", "DUBOIS", "THOMAS", "ROBERT", "RICHARD", "PETIT", "DURAND", "LEROY", "MOREAU",
          "SIMON", "LAURENT", "LEFÈVRE", "MICHEL", "GARCIA", "DAVID", "BERTRAND", "ROUX", "VINCENT", "FOURNIER",
          "MOREL", "GIRARD", "ANDRÉ", "LEFEBVRE", "MERCIER", "DUPONT", "LAMBERT", "BONNET", "FRANÇOIS", "MARTINEZ",
          "LÉGER", "CHÂTEAU", "BÉRANGER", "NOËL", "DESCHAMPS", "GAUTIER", "MÜLLER", "CORNÉLIUS", "HÉBERT", "PERRIN"]
GIVEN = ["Hélène", "Jérôme", "François", "Anaïs", "Zoé", "Éric", "Céline", "Gaëlle", "Noël", "Agnès", "Benoît",
         "Chloé", "Clément", "Léa", "Loïc", "Maëlle", "Mélanie", "Raphaël", "Sébastien", "Thérèse", "Jean", "Marie",
         "Pierre", "Sophie", "Nicolas", "Camille", "Julien", "Émilie", "Théo", "Inès"]
PROFESSIONS = [("10", "Médecin", "C", "Civil"), ("60", "Infirmier", "C", "Civil"), ("21", "Pharmacien", "C", "Civil"),
               ("40", "Chirurgien-Dentiste", "C", "Civil"), ("50", "Sage-Femme", "C", "Civil"),
               ("70", "Masseur-Kinésithérapeute", "C", "Civil")]
SPECIALTIES = [("SM26", "Qualifié en Médecine Générale"), ("SM04", "Cardiologie et maladies vasculaires"),
               ("SM54", "Pédiatrie"), ("SM19", "Gynécologie-obstétrique"), ("", "")]
MODES = [("L", "Libéral"), ("S", "Salarié"), ("B", "Bénévole")]
CITIES = [("75013", "75113", "Paris 13e", "75", "Paris"), ("69003", "69383", "Lyon 3e", "69", "Rhône"),
          ("13005", "13205", "Marseille 5e", "13", "Bouches-du-Rhône"), ("31000", "31555", "Toulouse", "31", "Haute-Garonne"),
          ("20000", "2A004", "Ajaccio", "2A", "Corse-du-Sud"), ("97400", "97411", "Saint-Denis", "974", "La Réunion"),
          ("59000", "59350", "Lille", "59", "Nord"), ("44000", "44109", "Nantes", "44", "Loire-Atlantique")]


def luhn_key(digits):
    total = 0
    for i, ch in enumerate(reversed(digits + "0")):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return str((10 - total % 10) % 10)


def rpps(n):
    body = f"1{n:09d}"
    return body + luhn_key(body)


def finess(n, dept):
    body = f"{dept[:2]}{n:06d}"
    return body + luhn_key(body.replace("2A", "20").replace("2B", "20"))


def plain(s):
    table = str.maketrans("ÀÂÄÇÉÈÊËÎÏÔÖÙÛÜàâäçéèêëîïôöùûüÿ", "AAACEEEEIIOOUUUaaaceeeeiioouuuy")
    return s.translate(table).replace("Œ", "OE").replace("œ", "oe").replace("Æ", "AE").replace("æ", "ae")


class Person:
    def __init__(self, rng, n):
        self.n = n
        self.family = rng.choice(FAMILY)
        self.given = rng.choice(GIVEN)
        self.profession = rng.choice(PROFESSIONS)
        self.specialty = rng.choice(SPECIALTIES) if self.profession[0] == "10" else ("", "")
        self.civility = rng.choice([("DR", "Docteur"), ("M", "Monsieur"), ("MME", "Madame")])
        self.rpps = rpps(n)


def activity_row(rng, p, k, version=0):
    city = CITIES[(p.n + k) % len(CITIES)]
    mode = MODES[(p.n + k) % len(MODES)]
    structure = f"S{(p.n * 7 + k) % 400000:08d}"
    f = [""] * len(ACTIVITE)
    f[0:3] = ["8", p.rpps, "8" + p.rpps]
    f[3:7] = [p.civility[0], p.civility[1], "", ""]
    f[7:9] = [p.family, p.given]
    f[9:13] = [p.profession[0], p.profession[1], p.profession[2], p.profession[3]]
    f[13:17] = ["S" if p.specialty[0] else "", "Spécialité ordinale" if p.specialty[0] else "", p.specialty[0], p.specialty[1]]
    f[17:19] = list(mode)
    f[19] = f"{(p.n * 13 + k) % 10**14:014d}" if mode[0] == "L" else ""
    f[21] = finess((p.n + k) % 10**6, city[3]) if mode[0] == "S" else ""
    f[23] = structure
    f[24] = f"Cabinet du Dr {p.family}" if mode[0] == "L" else f"Centre hospitalier de {city[2]}"
    f[28:33] = [str(1 + (p.n + version) % 120), "", "R", "Rue", ["de la République", "Victor Hugo", "des Écoles", "Pasteur"][(p.n + k) % 4]]
    f[35:40] = [city[0], city[1], city[2], "99000", "France"]
    f[40] = f"01{(p.n * 31 + version) % 10**8:08d}"
    f[44:46] = [city[3], city[4]]
    f[47] = "RPPS"
    return "|".join(f) + "|"


def mailbox_row(p, version=0):
    city = CITIES[p.n % len(CITIES)]
    f = dict.fromkeys(CORRESPONDANCE, "")
    local = plain(f"{p.given}.{p.family}").lower().replace(" ", "-").replace("'", "")
    f.update({"Type de BAL": "PER", "Adresse BAL": f"{local}.{p.n}@{['medecin', 'infirmier', 'pharmacien', 'chu-x', 'ch-y'][p.n % 5]}.mssante.fr",
              "Type Identifiant PP": "8", "Identifiant PP": p.rpps, "Identification nationale PP": "8" + p.rpps,
              "Civilité d'exercice": p.civility[1], "Nom d'exercice": p.family, "Prénom d'exercice": p.given,
              "Code Profession": p.profession[0], "Libellé Profession": p.profession[1],
              "Libellé savoir-faire": p.specialty[1], "Raison Sociale structure BAL": f"Cabinet du Dr {p.family}",
              "L4NUMEROVOIE": str(1 + (p.n + version) % 120), "L4LIBELLEVOIE": "Rue Pasteur",
              "L6LIGNEACHEMINEMENT": f"{city[0]} {city[2].upper()}", "Code postal": city[0], "Département": city[3],
              "Pays": "FRANCE", "Dématérialisation": "O"})
    return "|".join(f[c] for c in CORRESPONDANCE)


def write(path, header, rows):
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write(header + "\r\n")
        for r in rows:
            out.write(r + "\r\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out", type=pathlib.Path)
    ap.add_argument("--activities", type=int, default=2_000_000)
    ap.add_argument("--mailboxes", type=int, default=500_000)
    ap.add_argument("--change", type=float, default=0.01)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    a.out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(a.seed)
    people = a.activities * 2 // 3  # about 1.5 activities per professional
    persons = [Person(rng, n) for n in range(1, people + 1)]
    counts = [1] * people
    for i in range(a.activities - people):
        counts[(i * 7919) % people] += 1
    step = max(1, int(1 / a.change)) if a.change else 0

    def activities(version):
        for p, c in zip(persons, counts):
            for k in range(c):
                if version and step and (p.n + k) % step == 0:
                    kind = (p.n // step) % 3  # changed, withdrawn or added, in equal parts
                    if kind == 0:
                        yield activity_row(rng, p, k, version)
                    elif kind == 2:
                        yield activity_row(rng, p, k)
                        yield activity_row(rng, p, k + 1000)
                    continue
                yield activity_row(rng, p, k)

    def mailboxes(version):
        for p in persons[:a.mailboxes]:
            if version and step and p.n % step == 0 and (p.n // step) % 2 == 0:
                continue  # withdrawn
            yield mailbox_row(p, version if version and step and p.n % (step + 1) == 0 else 0)

    write(a.out / "PS_LibreAcces_Personne_activite.txt", "|".join(ACTIVITE) + "|", activities(0))
    write(a.out / "Extraction_Correspondance_MSSante.txt", "|".join(CORRESPONDANCE), mailboxes(0))
    if a.change:
        write(a.out / "PS_LibreAcces_Personne_activite_next.txt", "|".join(ACTIVITE) + "|", activities(1))
        write(a.out / "Extraction_Correspondance_MSSante_next.txt", "|".join(CORRESPONDANCE), mailboxes(1))


if __name__ == "__main__":
    main()
