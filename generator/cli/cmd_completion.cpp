// xraybake completion bash|zsh: shell completion generated from the command
// line this binary parses (every subcommand, flag and option), so it never
// lags behind a new flag. zsh runs the same function through bashcompinit.
#include <iostream>
#include <set>

#include "cli/commands.h"
#include "util/error.h"
#include "util/strings.h"

namespace xb::cli {

namespace {

std::vector<std::string> names_of(const CLI::App& app, bool value_options_only) {
  std::vector<std::string> out;
  for (const CLI::Option* o : app.get_options()) {
    if (o->get_positional() || (value_options_only && o->get_expected_min() == 0)) continue;  // a flag takes no value
    for (const auto& n : o->get_lnames()) out.push_back("--" + n);
    if (!value_options_only)
      for (const auto& n : o->get_snames()) out.push_back("-" + n);
  }
  return out;
}

// What --help lists (`xraybake man` is hidden: no group).
bool visible(const CLI::App* a) { return !a->get_group().empty(); }

std::vector<std::string> subcommands_of(const CLI::App& app) {
  std::vector<std::string> out;
  for (const CLI::App* s : app.get_subcommands(visible)) out.push_back(s->get_name());
  return out;
}

std::string bash_script(const CLI::App& root) {
  std::string cases;
  for (const CLI::App* s : root.get_subcommands(visible)) {
    std::vector<std::string> words = subcommands_of(*s);
    for (const auto& n : names_of(*s, false)) words.push_back(n);
    // A command of commands (cache ls|verify|clean) takes no file.
    cases += "    " + s->get_name() + ") opts=\"" + join(words, " ") + "\"" +
             (subcommands_of(*s).empty() ? "" : "; files=''") + " ;;\n";
  }
  std::vector<std::string> top = subcommands_of(root);
  for (const auto& n : names_of(root, false)) top.push_back(n);
  return "# bash completion for xraybake: eval \"$(xraybake completion bash)\", or save it as\n"
         "# /usr/share/bash-completion/completions/xraybake\n"
         "_xraybake() {\n"
         "  local cur=${COMP_WORDS[COMP_CWORD]} sub='' i opts files=1\n"
         "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
         "    case ${COMP_WORDS[i]} in\n"
         "      " + join(names_of(root, true), "|") + ") ((i++)) ;;  # a global option's value\n"
         "      -*) ;;\n"
         "      *) sub=${COMP_WORDS[i]}; break ;;\n"
         "    esac\n"
         "  done\n"
         "  case $sub in\n"
         "    '') opts=\"" + join(top, " ") + "\" ;;\n" + cases +
         "    *) opts='' ;;\n"
         "  esac\n"
         "  if [[ -z $sub || -z $files || $cur == -* ]]; then\n"
         "    COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
         "  else\n"
         "    COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\") $(compgen -f -- \"$cur\"))\n"
         "  fi\n"
         "}\n"
         "complete -o filenames -F _xraybake xraybake\n";
}

}  // namespace

void add_completion(CLI::App& app, GlobalOptions&) {
  auto* cmd = app.add_subcommand("completion", "Print shell completion for bash or zsh");
  cmd->footer(
      "Completes subcommands, their flags and files, from this binary's own command line.\n\n"
      "Examples:\n"
      "  eval \"$(xraybake completion bash)\"                      # this shell\n"
      "  xraybake completion bash > /usr/share/bash-completion/completions/xraybake\n"
      "  eval \"$(xraybake completion zsh)\"                       # zsh, in ~/.zshrc (through bashcompinit)");
  static std::string shell;
  shell.clear();
  cmd->add_option("SHELL", shell, "bash or zsh")->required()->check(CLI::IsMember({"bash", "zsh"}));
  cmd->callback([&app] {
    std::string script = bash_script(app);
    if (shell == "zsh")
      script = "# zsh completion for xraybake, through bashcompinit: eval \"$(xraybake completion zsh)\" in ~/.zshrc\n"
               "(( $+functions[compdef] )) || { autoload -U +X compinit && compinit }\n"
               "autoload -U +X bashcompinit && bashcompinit\n" + script;
    std::cout << script;
  });
}

}  // namespace xb::cli
