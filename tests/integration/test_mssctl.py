"""The operator interface: mssctl's refusals say why and exit 1; init is idempotent."""
import pytest

from mssd_harness import DOCTOR, GP, PRACTICE, Server


def refused(server, *args, input=None):
    r = server.ctl(*args, input=input, check=False)
    assert r.returncode == 1, r.stdout
    return r.stderr.decode()


def test_init_is_idempotent(fresh):
    trust = fresh.trust.read_bytes()
    fresh.ctl("init", "--domain", "test.mssante.fr")
    assert fresh.trust.read_bytes() == trust
    assert "postmaster@test.mssante.fr organisational" in fresh.ctl("account", "list").stdout.decode()


@pytest.mark.parametrize("args,why", [
    (("account", "add", "x@test.mssante.fr", "--kind", "personal", "--ps-idnat", "810001045368"), "check digit"),
    (("account", "add", "lab2@test.mssante.fr", "--kind", "applicative"), "--cert"),
    (("account", "add", "x@elsewhere.fr", "--kind", "personal"), "not in a domain"),
    (("account", "add", GP, "--kind", "personal"), "exists"),
    (("account", "add", "x@test.mssante.fr", "--kind", "robot"), "--kind"),
    (("account", "member", "add", PRACTICE, DOCTOR, "--rights", "lrZ"), "not a right"),
    (("account", "member", "add", GP, DOCTOR, "--rights", "lr"), "not an organisational"),
    (("mail", "fetch", GP, "999"), "no message"),
])
def test_refusals_explain_themselves(fresh, args, why):
    assert why in refused(fresh, *args)


def test_organisational_mailbox_has_no_password(fresh):
    assert "members of an organisational mailbox" in refused(
        fresh, "account", "add", "accueil@test.mssante.fr", "--kind", "organisational", "--password-stdin",
        input=b"pw\n")


def test_member_list_shows_normalised_rights(fresh):
    fresh.ctl("account", "member", "add", PRACTICE, DOCTOR, "--rights", "0wsrl")
    lines = fresh.ctl("account", "member", "list", PRACTICE).stdout.decode().splitlines()
    assert f"{DOCTOR} lrsw0" in lines


def test_members_are_personal_mailboxes(fresh):
    other = "chu-cardio@test.mssante.fr"
    fresh.ctl("account", "add", other, "--kind", "organisational")
    assert f"{PRACTICE} cannot be a member of itself" in refused(
        fresh, "account", "member", "add", PRACTICE, PRACTICE, "--rights", "lrs")
    assert f"{other} is an organisational mailbox: only personal mailboxes (people) can be members" in refused(
        fresh, "account", "member", "add", PRACTICE, other, "--rights", "lrsi0")
    assert "only personal mailboxes" in refused(fresh, "account", "member", "add", other, PRACTICE, "--rights", "l")
    listed = fresh.ctl("account", "member", "list", PRACTICE).stdout.decode()
    assert PRACTICE not in listed and other not in listed
