// Labels of the CI-SIS acknowledgement codes (domain.md section 4), ASCII because they go into the
// 7-bit Disposition field of the MDN. Pure.
#include "cda/ack.h"

namespace mss::cda {

std::string_view ack_label(AckCode code) {
    switch (code) {
        case AckCode::WrongVersion: return "Version du document incorrecte";
        case AckCode::AuthorNotAllowed: return "Auteur non habilite a remplacer ou supprimer le document";
        case AckCode::UnknownPatient: return "Identifiant patient inconnu";
        case AckCode::InsMissing: return "INS absent du document";
        case AckCode::InsMismatch: return "INS different de celui connu";
        case AckCode::InsIncomplete: return "INS incomplet";
        case AckCode::Other: return "Autre erreur";
    }
    return "Autre erreur";
}

}  // namespace mss::cda
