/**
 * A notification's text (rendered by functions/domain/messages.ts, the same text SNS carries) as robot
 * markdown for WeCom and DingTalk: the first line is the title and a bold heading, every line a paragraph,
 * every link clickable. Text from residents (the title, notes) cannot inject markup: the characters the two
 * dialects act on are replaced by their full-width forms.
 */
const MARKUP = /[*_`[\]<>#~|]/g;
const FULL_WIDTH: Record<string, string> = { '*': '＊', _: '＿', '`': '｀', '[': '［', ']': '］', '<': '＜', '>': '＞', '#': '＃', '~': '～', '|': '｜' };
const URL = /https?:\/\/[^\s<>"'）)]+/g;

const plain = (text: string) => text.replace(MARKUP, (c) => FULL_WIDTH[c] ?? c);

/** Escapes a line, keeping its URLs as links. */
function line(text: string): string {
  let out = '';
  let last = 0;
  for (const m of text.matchAll(URL)) {
    out += plain(text.slice(last, m.index)) + `[${m[0]}](${m[0]})`;
    last = m.index + m[0].length;
  }
  return out + plain(text.slice(last));
}

export interface RobotMarkdown {
  /** The first line, plain (DingTalk shows it in the chat list). */
  title: string;
  /** Markdown: a bold first line, then one paragraph per line. */
  text: string;
}

export function toMarkdown(message: string): RobotMarkdown {
  const [first = '', ...rest] = message.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  return { title: first, text: [`**${line(first)}**`, ...rest.map(line)].join('\n\n') };
}

/** Cuts `text` to at most `maxBytes` of UTF-8 without splitting a character (WeCom allows 4096 bytes). */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  let out = '';
  let bytes = 0;
  for (const ch of text) {
    const n = Buffer.byteLength(ch, 'utf8');
    if (bytes + n > maxBytes - 3) break;
    out += ch;
    bytes += n;
  }
  return `${out}…`;
}
