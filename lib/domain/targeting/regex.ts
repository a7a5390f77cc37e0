/**
 * Unleash evaluates REGEX constraints with RE2 (re2js): no lookaround, no backreferences, ASCII
 * `\d \w \s \b`, `.` not matching "\n" unless `(?s)`, inline flags `(?i) (?m) (?s)`, POSIX classes
 * such as `[[:alpha:]]`, `find` semantics (a match anywhere). This translates the RE2 patterns
 * Rollgate can reproduce into a JavaScript RegExp with the same answers; what RE2 itself refuses is
 * `invalid` (the constraint never matches, as in Unleash), and what this translation does not cover
 * is `unsupported` (an import names it; an editor refuses it).
 */
export type TranslatedRegex = { regex: RegExp } | { invalid: string } | { unsupported: string };

const POSIX: Record<string, string> = {
  alnum: "0-9A-Za-z",
  alpha: "A-Za-z",
  ascii: "\\u{0}-\\u{7f}",
  blank: "\\t ",
  cntrl: "\\u{0}-\\u{1f}\\u{7f}",
  digit: "0-9",
  graph: "\\u{21}-\\u{7e}",
  lower: "a-z",
  print: "\\u{20}-\\u{7e}",
  punct: "\\u{21}-\\u{2f}\\u{3a}-\\u{40}\\u{5b}-\\u{60}\\u{7b}-\\u{7e}",
  space: "\\t\\n\\v\\f\\r ",
  upper: "A-Z",
  word: "0-9A-Za-z_",
  xdigit: "0-9A-Fa-f",
};
const PERL: Record<string, string> = { d: "0-9", s: "\\t\\n\\f\\r ", w: "0-9A-Za-z_" };
const CONTROL: Record<string, string> = { a: "\\u{7}", f: "\\f", t: "\\t", n: "\\n", r: "\\r", v: "\\v" };
const MAX_REPEAT = 1000;

class Unsupported extends Error {}
class Invalid extends Error {}

/** A literal character, written so that it means itself in a `u` RegExp, inside a class or not. */
const literal = (ch: string) => (/[0-9A-Za-z]/.test(ch) ? ch : `\\u{${ch.codePointAt(0)!.toString(16)}}`);

interface Flags {
  m: boolean;
  s: boolean;
}

class Translator {
  private i = 0;
  private out = "";
  private ignoreCase = false;
  /** Whether anything but anchors and flags has been written: a later `(?i)` would not cover it. */
  private matchedSomething = false;
  /** Repetitions and alternations written so far (a group that raised it repeats or branches inside). */
  private branching = 0;
  /** Whether \b or \B is used: with case folding JavaScript counts K (Kelvin) and ſ as word characters, RE2 does not. */
  wordBoundary = false;
  constructor(private readonly p: string) {}

  run(): { source: string; ignoreCase: boolean } {
    this.alternation({ m: false, s: false }, 0);
    if (this.i < this.p.length) throw new Invalid("unbalanced ')'");
    return { source: this.out, ignoreCase: this.ignoreCase };
  }

  private alternation(flags: Flags, depth: number): void {
    let canRepeat = false;
    let lastAtomBranches = false;
    while (this.i < this.p.length) {
      const ch = [...this.p.slice(this.i, this.i + 2)][0]!;
      if (ch === ")") {
        if (depth === 0) throw new Invalid("unbalanced ')'");
        return;
      }
      if ("*+?{".includes(ch)) {
        const repeat = this.repetition();
        if (repeat !== null) {
          if (!canRepeat) throw new Invalid("missing argument to repetition operator");
          if (!/^(\?\??|\{[01](,[01]?)?\}\??)$/.test(repeat)) {
            // RE2 runs in linear time; JavaScript backtracks, and a repeated group that itself repeats
            // or branches, such as (a+)+ or (a|ab)*, can take exponential time on a crafted value.
            if (lastAtomBranches) throw new Unsupported("a repeated group that repeats or branches inside");
            this.branching++;
          }
          this.out += repeat;
          canRepeat = false;
          continue;
        }
      }
      const before = this.branching;
      canRepeat = this.atom(ch, flags, depth);
      lastAtomBranches = this.branching > before;
    }
    if (depth > 0) throw new Invalid("missing ')'");
  }

  /** A repetition operator at the cursor, translated, or null for a `{` that RE2 reads as a literal. */
  private repetition(): string | null {
    const rest = this.p.slice(this.i);
    const m = /^(?:[*+?]|\{(\d+)(,(\d*))?\})/.exec(rest);
    if (!m) return null;
    if (m[1] !== undefined && (Number(m[1]) > MAX_REPEAT || (m[3] && Number(m[3]) > MAX_REPEAT))) throw new Invalid("bad repetition");
    if (m[3] && Number(m[3]) < Number(m[1])) throw new Invalid("bad repetition");
    this.i += m[0].length;
    let op = m[0];
    if (this.p[this.i] === "?") {
      op += "?";
      this.i++;
    }
    if (this.p[this.i] !== undefined && "*+?".includes(this.p[this.i]!)) throw new Invalid("bad repetition operator");
    return op;
  }

  /** Translates one atom; returns whether a repetition may follow it. */
  private atom(ch: string, flags: Flags, depth: number): boolean {
    this.i += ch.length;
    switch (ch) {
      case "|":
        this.branching++;
        this.out += "|";
        return false;
      case "^":
        this.out += flags.m ? "(?<![^\\n])" : "^";
        return false;
      case "$":
        this.out += flags.m ? "(?![^\\n])" : "$";
        return false;
      case ".":
        this.matchedSomething = true;
        this.out += flags.s ? "[\\s\\S]" : "[^\\n]";
        return true;
      case "(":
        return this.group(flags, depth);
      case "[":
        this.matchedSomething = true;
        this.out += this.charClass();
        return true;
      case "\\":
        return this.escape();
      default:
        this.matchedSomething = true;
        this.out += literal(ch);
        return true;
    }
  }

  private group(flags: Flags, depth: number): boolean {
    const rest = this.p.slice(this.i);
    if (/^\?(=|!|<=|<!)/.test(rest)) throw new Invalid("lookaround is not RE2 syntax");
    const setFlags = /^\?([imsU]*)(?:-([imsU]*))?(\)|:)/.exec(rest);
    if (setFlags && (setFlags[1] || setFlags[2])) {
      this.i += setFlags[0].length;
      const on = setFlags[1] ?? "";
      const off = setFlags[2] ?? "";
      if (on.includes("U") || off.includes("U") || off.includes("i")) throw new Unsupported("the U flag or (?-i)");
      const inner = { m: (flags.m || on.includes("m")) && !off.includes("m"), s: (flags.s || on.includes("s")) && !off.includes("s") };
      if (on.includes("i")) {
        // Only a leading (?i) at the top level maps onto the whole RegExp's `i`.
        if (this.matchedSomething || depth > 0 || setFlags[3] === ":") throw new Unsupported("(?i) for part of the pattern");
        this.ignoreCase = true;
      }
      if (setFlags[3] === ")") {
        Object.assign(flags, inner); // to the end of the enclosing group, as in RE2
        return false;
      }
      this.out += "(?:";
      this.alternation(inner, depth + 1);
      this.i++;
      this.out += ")";
      return true;
    }
    const named = /^\?P?<[A-Za-z0-9_]+>|^\?:/.exec(rest);
    if (named) this.i += named[0].length;
    else if (rest.startsWith("?")) throw new Invalid("unknown group flag");
    this.out += "(?:";
    this.alternation({ ...flags }, depth + 1);
    this.i++;
    this.out += ")";
    return true;
  }

  private escape(): boolean {
    const c = this.p[this.i];
    if (c === undefined) throw new Invalid("trailing backslash");
    this.i++;
    if (/[1-9]/.test(c)) throw new Invalid("backreferences are not RE2 syntax");
    if (c === "b" || c === "B") {
      this.wordBoundary = true;
      this.out += `\\${c}`;
      return false;
    }
    // The RegExp never has JavaScript's `m` flag, so ^ and $ are the text's start and end.
    if (c === "A" || c === "z") {
      this.out += c === "A" ? "^" : "$";
      return false;
    }
    this.matchedSomething = true;
    if (PERL[c]) this.out += `[${PERL[c]}]`;
    else if (PERL[c.toLowerCase()]) this.out += `[^${PERL[c.toLowerCase()]}]`;
    else this.out += this.simpleEscape(c);
    return true;
  }

  /** An escape that stands for one character (control characters and escaped punctuation). */
  private simpleEscape(c: string): string {
    if (CONTROL[c]) return CONTROL[c];
    if (/[!-/:-@[-`{-~]/.test(c)) return literal(c);
    throw new Unsupported(`the escape \\${c}`);
  }

  private charClass(): string {
    let body = "";
    let negated = false;
    if (this.p[this.i] === "^") {
      negated = true;
      this.i++;
    }
    let first = true;
    for (;;) {
      const ch = this.p[this.i];
      if (ch === undefined) throw new Invalid("missing ']'");
      if (ch === "]" && !first) break;
      first = false;
      const posix = /^\[:(\^?)([a-z]+):\]/.exec(this.p.slice(this.i));
      if (posix) {
        const set = POSIX[posix[2]!];
        if (!set) throw new Invalid("unknown POSIX class");
        if (posix[1]) throw new Unsupported("a negated POSIX class inside a class");
        body += set;
        this.i += posix[0].length;
        continue;
      }
      body += this.classAtom();
      if (this.p[this.i] === "-" && this.p[this.i + 1] !== "]" && this.p[this.i + 1] !== undefined) {
        this.i++;
        body += `-${this.classAtom()}`;
      }
    }
    this.i++;
    return `[${negated ? "^" : ""}${body}]`;
  }

  private classAtom(): string {
    const ch = [...this.p.slice(this.i, this.i + 2)][0]!;
    this.i += ch.length;
    if (ch !== "\\") return literal(ch);
    const c = this.p[this.i];
    if (c === undefined) throw new Invalid("trailing backslash");
    this.i++;
    if (PERL[c]) return PERL[c];
    if (PERL[c.toLowerCase()]) throw new Unsupported(`\\${c} inside a class`);
    return this.simpleEscape(c);
  }
}

export function translateRe2(pattern: string, caseInsensitive = false): TranslatedRegex {
  try {
    const translator = new Translator(pattern);
    const { source, ignoreCase } = translator.run();
    const fold = caseInsensitive || ignoreCase;
    if (fold && translator.wordBoundary) return { unsupported: "a word boundary (\\b) with case-insensitive matching" };
    return { regex: new RegExp(source, fold ? "iu" : "u") };
  } catch (e) {
    if (e instanceof Unsupported) return { unsupported: e.message };
    if (e instanceof Invalid) return { invalid: e.message };
    return { unsupported: "not translatable" }; // RE2 accepted something JavaScript refuses
  }
}

/** Why a REGEX constraint's pattern is not reproduced exactly, or null when it is. */
export function regexProblem(pattern: string, caseInsensitive = false): string | null {
  const t = translateRe2(pattern, caseInsensitive);
  return "unsupported" in t ? `regular expression '${pattern}': ${t.unsupported}` : null;
}
