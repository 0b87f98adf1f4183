// The store's S/MIME register and per-recipient copies: certificates per address and usage, settings
// with their defaults, and a delivery whose recipients get their own copy or the Junk folder.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>

#include "store/store.h"
#include "temp_dir.h"

using namespace mss;
using namespace mss::store;

namespace {
using Dir = unit_test::TempDir;

Account personal(Store& s, const std::string& address) {
    NewAccount n;
    n.address = address;
    return s.create_account(n).value();
}
}  // namespace

TEST_CASE("certificates are kept per address and usage, replaced when put again") {
    Dir d;
    auto s = std::move(open_sqlite(d.path / "s.db")).value();
    CHECK_FALSE(*s->smime_certificate("dr@x.fr", SmimeUsage::Signing));
    REQUIRE(s->put_smime_certificate({"Dr@X.fr", SmimeUsage::Signing, "CERT1", std::string("v1:sealed")}));
    REQUIRE(s->put_smime_certificate({"dr@x.fr", SmimeUsage::Encryption, "CERT2", std::nullopt}));
    auto sign = *s->smime_certificate("DR@x.fr", SmimeUsage::Signing);
    REQUIRE(sign);
    CHECK(sign->address == "dr@x.fr");
    CHECK(sign->certificate_pem == "CERT1");
    CHECK(sign->sealed_key == "v1:sealed");
    CHECK_FALSE((*s->smime_certificate("dr@x.fr", SmimeUsage::Encryption))->sealed_key);
    REQUIRE(s->put_smime_certificate({"dr@x.fr", SmimeUsage::Signing, "CERT3", std::nullopt}));
    sign = *s->smime_certificate("dr@x.fr", SmimeUsage::Signing);
    CHECK(sign->certificate_pem == "CERT3");
    CHECK_FALSE(sign->sealed_key);
    CHECK(sealing_label("Dr@X.fr", SmimeUsage::Encryption) == "encryption:dr@x.fr");
}

TEST_CASE("settings default to server custody and follow the domain until set") {
    Dir d;
    auto s = std::move(open_sqlite(d.path / "s.db")).value();
    CHECK(*s->smime_settings("dr@x.fr") == SmimeSettings{});
    SmimeSettings client{KeyCustody::Client, std::string("reject"), std::nullopt, std::string("aes-256-cbc")};
    REQUIRE(s->set_smime_settings("DR@x.fr", client));
    CHECK(*s->smime_settings("dr@x.fr") == client);
    CHECK(key_custody_from("client") == KeyCustody::Client);
    CHECK_FALSE(key_custody_from("card"));
}

TEST_CASE("a delivery files each recipient's own copy, shares the rest, and quarantines to Junk") {
    Dir d;
    auto s = std::move(open_sqlite(d.path / "s.db")).value();
    auto a = personal(*s, "a@x.fr"), b = personal(*s, "b@x.fr"), c = personal(*s, "c@x.fr");
    Delivery delivery;
    delivery.return_path = "lab@y.fr";
    delivery.account_ids = {a.id, b.id, c.id};
    delivery.content = "Subject: shared\r\n\r\nx\r\n";
    delivery.copies = {{"", false}, {"Subject: own\r\n\r\ny\r\n", false}, {"", true}};
    auto out = s->deliver_batch(std::span<const Delivery>(&delivery, 1));
    REQUIRE(out.front());
    CHECK(*s->fetch_message("a@x.fr", "INBOX", 1) == "Return-Path: <lab@y.fr>\r\nSubject: shared\r\n\r\nx\r\n");
    CHECK(*s->fetch_message("b@x.fr", "INBOX", 1) == "Return-Path: <lab@y.fr>\r\nSubject: own\r\n\r\ny\r\n");
    CHECK(s->list_messages("c@x.fr", "INBOX")->empty());
    CHECK(*s->fetch_message("c@x.fr", "Junk", 1) == "Return-Path: <lab@y.fr>\r\nSubject: shared\r\n\r\nx\r\n");

    delivery.copies = {{"", false}};
    auto refused = s->deliver_batch(std::span<const Delivery>(&delivery, 1));
    CHECK(refused.front().error().kind == ErrorKind::Invalid);
}
