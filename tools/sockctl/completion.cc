#include "completion.h"

#include <algorithm>

#include "sockchat/chat/names.h"

namespace sockctl {
namespace {

using sockchat::chat::foldCase;

bool startsWithIgnoringCase(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && foldCase(s.substr(0, prefix.size())) == foldCase(prefix);
}

// What follows a completed word: an addressed nick gets irssi's ": ".
std::string completed(const std::string& word, bool command, bool atLineStart) {
    if (command) return word + " ";
    return word + (atLineStart ? ": " : " ");
}

}  // namespace

const std::vector<std::string>& completableCommands() {
    static const std::vector<std::string> commands{
        "/join", "/part",  "/msg",  "/me",   "/nick",  "/who",   "/rooms", "/quit",
        "/help", "/topic", "/away", "/list", "/names", "/query", "/whois", "/ping"};
    return commands;
}

std::vector<std::string>::iterator Completer::find(std::string_view nick) {
    return std::find_if(nicks_.begin(), nicks_.end(),
                        [&](const std::string& n) { return foldCase(n) == foldCase(nick); });
}

void Completer::saw(std::string_view nick) {
    if (nick.empty()) return;
    forget(nick);
    nicks_.insert(nicks_.begin(), std::string(nick));
}

void Completer::forget(std::string_view nick) {
    if (auto it = find(nick); it != nicks_.end()) nicks_.erase(it);
}

void Completer::learn(const ChatEvent& e) {
    if (e.type == "welcome") {
        self_ = e.field("nick");
    } else if (e.type == "who") {
        // Present but not active: after the ones who spoke, in the server's order.
        if (auto it = e.raw.find("nicks"); it != e.raw.end() && it->is_array())
            for (const auto& n : *it)
                if (n.is_string() && find(n.get<std::string>()) == nicks_.end())
                    nicks_.push_back(n.get<std::string>());
    } else if (e.type == "join") {
        saw(e.field("nick"));
    } else if (e.type == "leave") {
        forget(e.field("nick"));
    } else if (e.type == "nick") {
        if (foldCase(e.from) == foldCase(self_)) {
            // Our old nick is nobody's now (a who list may have taught it).
            forget(self_);
            self_ = e.field("nick");
            return;
        }
        if (auto it = find(e.from); it != nicks_.end()) nicks_.erase(it);
        saw(e.field("nick"));
    } else if (e.type == "message" || e.type == "action" || e.type == "private" ||
               e.type == "history") {
        saw(e.from);
    }
}

std::vector<std::string> Completer::nickCandidates(std::string_view prefix) const {
    std::vector<std::string> out;
    for (const auto& n : nicks_)
        if (startsWithIgnoringCase(n, prefix) && foldCase(n) != foldCase(self_)) out.push_back(n);
    return out;
}

std::vector<std::string> Completer::commandCandidates(std::string_view prefix) {
    std::vector<std::string> out;
    for (const auto& c : completableCommands())
        if (startsWithIgnoringCase(c, prefix)) out.push_back(c);
    return out;
}

std::optional<std::string> Completer::complete(std::string_view line) {
    if (cycle_ && line == cycle_->result && cycle_->candidates.size() > 1) {
        cycle_->index = (cycle_->index + 1) % cycle_->candidates.size();
        cycle_->result = cycle_->base + cycle_->candidates[cycle_->index];
        return cycle_->result;
    }
    cycle_.reset();
    std::size_t wordStart = line.find_last_of(' ');
    wordStart = wordStart == std::string_view::npos ? 0 : wordStart + 1;
    std::string_view word = line.substr(wordStart);
    bool atLineStart = wordStart == 0;
    bool command = atLineStart && word.starts_with('/');
    if (word.empty()) return std::nullopt;
    std::vector<std::string> names = command ? commandCandidates(word) : nickCandidates(word);
    if (names.empty()) return std::nullopt;
    Cycle cycle{std::string(line.substr(0, wordStart)), {}, 0, {}};
    for (const auto& name : names)
        cycle.candidates.push_back(completed(name, command, atLineStart));
    cycle.result = cycle.base + cycle.candidates.front();
    cycle_ = std::move(cycle);
    return cycle_->result;
}

}  // namespace sockctl
