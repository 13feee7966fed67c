// The license a package declares, from what its control.tar says: the
// machine-readable copyright file (DEP-5, "Format: https://www.debian.org/
// doc/packaging-manuals/copyright-format/1.0/"), else control's License:
// field (AWS's packages carry one). Only what is stated is returned; free
// text is never guessed at.
#pragma once

#include <string>

#include "deb/deb_reader.h"

namespace xb::deb {

// The License: of a DEP-5 file's header paragraph, else of its "Files: *"
// paragraph (the first line: the short name); empty when TEXT is not DEP-5 or
// says none.
std::string dep5_license(const std::string& text);

// dep5_license(info.copyright), else info.fields["License"]; empty: not stated.
std::string declared_license(const ControlInfo& info);

}  // namespace xb::deb
