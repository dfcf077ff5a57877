// Emoji and hex renderings of a chat fingerprint for side-by-side comparison.
import { sha256 } from '@noble/hashes/sha2.js';
import { assertFingerprint } from './bytes';
import { concat, utf8 } from '$lib/crypto/bytes';

export interface EmojiEntry {
  /** A single code point with default emoji presentation (no VS16, ZWJ or skin tone). */
  readonly e: string;
  /** English name read out by screen readers and shown as a caption. */
  readonly name: string;
}

/**
 * FIXED table: index = byte value. Never reorder or edit — that would change what
 * existing users see for the same fingerprint (tests pin a hash of this table).
 * Chosen from Emoji ≤ 11 (2018) for broad OS support; near-duplicates (dog/dog face,
 * colour-only variants, clock faces, moon phases, check/cross marks that look like
 * UI verdicts) are excluded so two different sequences don't look alike.
 */
// prettier-ignore -- a table, four entries a line
export const EMOJI_TABLE: readonly EmojiEntry[] = Object.freeze([
  { e: '🐶', name: 'dog' }, { e: '🐱', name: 'cat' }, { e: '🐭', name: 'mouse' }, { e: '🐰', name: 'rabbit' },
  { e: '🦊', name: 'fox' }, { e: '🐻', name: 'bear' }, { e: '🐼', name: 'panda' }, { e: '🐨', name: 'koala' },
  { e: '🐯', name: 'tiger' }, { e: '🦁', name: 'lion' }, { e: '🐮', name: 'cow' }, { e: '🐷', name: 'pig' },
  { e: '🐸', name: 'frog' }, { e: '🐵', name: 'monkey' }, { e: '🐔', name: 'chicken' }, { e: '🐧', name: 'penguin' },
  { e: '🦜', name: 'parrot' }, { e: '🦆', name: 'duck' }, { e: '🦅', name: 'eagle' }, { e: '🦉', name: 'owl' },
  { e: '🦇', name: 'bat' }, { e: '🐎', name: 'horse' }, { e: '🦄', name: 'unicorn' }, { e: '🐝', name: 'bee' },
  { e: '🦋', name: 'butterfly' }, { e: '🐌', name: 'snail' }, { e: '🐞', name: 'ladybug' }, { e: '🐜', name: 'ant' },
  { e: '🦂', name: 'scorpion' }, { e: '🦀', name: 'crab' }, { e: '🐍', name: 'snake' }, { e: '🐢', name: 'turtle' },
  { e: '🐙', name: 'octopus' }, { e: '🐟', name: 'fish' }, { e: '🐳', name: 'whale' }, { e: '🦈', name: 'shark' },
  { e: '🐊', name: 'crocodile' }, { e: '🦓', name: 'zebra' }, { e: '🦒', name: 'giraffe' }, { e: '🐘', name: 'elephant' },
  { e: '🦏', name: 'rhinoceros' }, { e: '🐫', name: 'camel' }, { e: '🦘', name: 'kangaroo' }, { e: '🦌', name: 'deer' },
  { e: '🐑', name: 'sheep' }, { e: '🦚', name: 'peacock' }, { e: '🦖', name: 'dinosaur' }, { e: '🐉', name: 'dragon' },
  { e: '🦢', name: 'swan' }, { e: '🌵', name: 'cactus' }, { e: '🌳', name: 'tree' }, { e: '🌴', name: 'palm tree' },
  { e: '🍀', name: 'four leaf clover' }, { e: '🍁', name: 'maple leaf' }, { e: '🍄', name: 'mushroom' }, { e: '🌹', name: 'rose' },
  { e: '🌻', name: 'sunflower' }, { e: '🌸', name: 'cherry blossom' }, { e: '🌍', name: 'globe' }, { e: '🌙', name: 'crescent moon' },
  { e: '🌞', name: 'sun' }, { e: '⭐', name: 'star' }, { e: '🌈', name: 'rainbow' }, { e: '⛅', name: 'cloud' },
  { e: '⚡', name: 'lightning' }, { e: '⛄', name: 'snowman' }, { e: '🔥', name: 'fire' }, { e: '💧', name: 'droplet' },
  { e: '🌊', name: 'wave' }, { e: '🌋', name: 'volcano' }, { e: '🗻', name: 'mountain' }, { e: '☔', name: 'umbrella' },
  { e: '🍎', name: 'apple' }, { e: '🍐', name: 'pear' }, { e: '🍊', name: 'orange' }, { e: '🍋', name: 'lemon' },
  { e: '🍌', name: 'banana' }, { e: '🍉', name: 'watermelon' }, { e: '🍇', name: 'grapes' }, { e: '🍓', name: 'strawberry' },
  { e: '🍒', name: 'cherries' }, { e: '🍑', name: 'peach' }, { e: '🍍', name: 'pineapple' }, { e: '🍆', name: 'eggplant' },
  { e: '🥑', name: 'avocado' }, { e: '🥦', name: 'broccoli' }, { e: '🥕', name: 'carrot' }, { e: '🌽', name: 'corn' },
  { e: '🥔', name: 'potato' }, { e: '🍞', name: 'bread' }, { e: '🥐', name: 'croissant' }, { e: '🧀', name: 'cheese' },
  { e: '🥚', name: 'egg' }, { e: '🌭', name: 'hot dog' }, { e: '🍔', name: 'hamburger' }, { e: '🍟', name: 'french fries' },
  { e: '🍕', name: 'pizza' }, { e: '🥪', name: 'sandwich' }, { e: '🌮', name: 'taco' }, { e: '🥗', name: 'salad' },
  { e: '🍿', name: 'popcorn' }, { e: '🍜', name: 'noodles' }, { e: '🍣', name: 'sushi' }, { e: '🥟', name: 'dumpling' },
  { e: '🍦', name: 'ice cream' }, { e: '🍩', name: 'doughnut' }, { e: '🍪', name: 'cookie' }, { e: '🎂', name: 'birthday cake' },
  { e: '🥧', name: 'pie' }, { e: '🍫', name: 'chocolate bar' }, { e: '🍬', name: 'candy' }, { e: '🍭', name: 'lollipop' },
  { e: '☕', name: 'coffee' }, { e: '🍷', name: 'wine glass' }, { e: '🍺', name: 'beer' }, { e: '🍴', name: 'fork and knife' },
  { e: '⌚', name: 'watch' }, { e: '📱', name: 'mobile phone' }, { e: '💻', name: 'laptop' }, { e: '📷', name: 'camera' },
  { e: '📺', name: 'television' }, { e: '📻', name: 'radio' }, { e: '⏰', name: 'alarm clock' }, { e: '⌛', name: 'hourglass' },
  { e: '🔋', name: 'battery' }, { e: '💡', name: 'light bulb' }, { e: '🔦', name: 'flashlight' }, { e: '💰', name: 'money bag' },
  { e: '💎', name: 'gem' }, { e: '🔧', name: 'wrench' }, { e: '🔨', name: 'hammer' }, { e: '💣', name: 'bomb' },
  { e: '🔮', name: 'crystal ball' }, { e: '🔭', name: 'telescope' }, { e: '🔬', name: 'microscope' }, { e: '💊', name: 'pill' },
  { e: '🔑', name: 'key' }, { e: '🚪', name: 'door' }, { e: '🎈', name: 'balloon' }, { e: '🎀', name: 'ribbon' },
  { e: '🎁', name: 'gift' }, { e: '🎉', name: 'party popper' }, { e: '📦', name: 'package' }, { e: '📌', name: 'pushpin' },
  { e: '📎', name: 'paperclip' }, { e: '📏', name: 'ruler' }, { e: '🔒', name: 'lock' }, { e: '🔔', name: 'bell' },
  { e: '🎵', name: 'musical note' }, { e: '🎤', name: 'microphone' }, { e: '🎧', name: 'headphones' }, { e: '🎷', name: 'saxophone' },
  { e: '🎸', name: 'guitar' }, { e: '🎹', name: 'piano' }, { e: '🎺', name: 'trumpet' }, { e: '🎻', name: 'violin' },
  { e: '🥁', name: 'drum' }, { e: '📚', name: 'books' }, { e: '🧭', name: 'compass' }, { e: '🧱', name: 'brick' },
  { e: '🧲', name: 'magnet' }, { e: '🧪', name: 'test tube' }, { e: '🧩', name: 'puzzle piece' }, { e: '🧶', name: 'yarn' },
  { e: '🧺', name: 'basket' }, { e: '🧳', name: 'suitcase' }, { e: '🛒', name: 'shopping cart' }, { e: '🎩', name: 'top hat' },
  { e: '👑', name: 'crown' }, { e: '🎓', name: 'graduation cap' }, { e: '👓', name: 'glasses' }, { e: '👕', name: 't-shirt' },
  { e: '🧣', name: 'scarf' }, { e: '🧤', name: 'gloves' }, { e: '👗', name: 'dress' }, { e: '🎒', name: 'backpack' },
  { e: '👟', name: 'sneaker' }, { e: '💄', name: 'lipstick' }, { e: '💍', name: 'ring' }, { e: '🎃', name: 'jack-o-lantern' },
  { e: '🎄', name: 'christmas tree' }, { e: '🎆', name: 'fireworks' }, { e: '🎯', name: 'bullseye' }, { e: '🎲', name: 'die' },
  { e: '🎮', name: 'video game' }, { e: '🎳', name: 'bowling' }, { e: '🎱', name: 'pool ball' }, { e: '🃏', name: 'joker' },
  { e: '🎭', name: 'theater masks' }, { e: '🎨', name: 'palette' }, { e: '🎪', name: 'circus tent' }, { e: '🏆', name: 'trophy' },
  { e: '⚽', name: 'soccer ball' }, { e: '⚾', name: 'baseball' }, { e: '🏀', name: 'basketball' }, { e: '🏈', name: 'football' },
  { e: '🎾', name: 'tennis' }, { e: '🏓', name: 'ping pong' }, { e: '🥊', name: 'boxing glove' }, { e: '⛳', name: 'golf flag' },
  { e: '🎣', name: 'fishing pole' }, { e: '🎿', name: 'skis' }, { e: '🏹', name: 'bow and arrow' }, { e: '🛹', name: 'skateboard' },
  { e: '⛺', name: 'tent' }, { e: '🗿', name: 'moai' }, { e: '🗽', name: 'statue of liberty' }, { e: '🗼', name: 'tower' },
  { e: '🏰', name: 'castle' }, { e: '🏠', name: 'house' }, { e: '🏥', name: 'hospital' }, { e: '⛲', name: 'fountain' },
  { e: '🎡', name: 'ferris wheel' }, { e: '🌉', name: 'bridge' }, { e: '🏁', name: 'chequered flag' }, { e: '⚓', name: 'anchor' },
  { e: '🚀', name: 'rocket' }, { e: '🛸', name: 'flying saucer' }, { e: '🚁', name: 'helicopter' }, { e: '🛶', name: 'canoe' },
  { e: '⛵', name: 'sailboat' }, { e: '🚂', name: 'locomotive' }, { e: '🚌', name: 'bus' }, { e: '🚒', name: 'fire engine' },
  { e: '🚗', name: 'car' }, { e: '🚚', name: 'truck' }, { e: '🚜', name: 'tractor' }, { e: '🚲', name: 'bicycle' },
  { e: '🛴', name: 'kick scooter' }, { e: '🚦', name: 'traffic light' }, { e: '⛽', name: 'fuel pump' }, { e: '🚨', name: 'siren' },
  { e: '🛫', name: 'airplane' }, { e: '💖', name: 'heart' }, { e: '💥', name: 'collision' }, { e: '💬', name: 'speech balloon' },
  { e: '😀', name: 'grinning face' }, { e: '😎', name: 'sunglasses face' }, { e: '😍', name: 'heart eyes' }, { e: '😂', name: 'tears of joy' },
  { e: '😱', name: 'screaming face' }, { e: '😴', name: 'sleeping face' }, { e: '🤔', name: 'thinking face' }, { e: '🤠', name: 'cowboy' },
  { e: '🥳', name: 'party face' }, { e: '🤯', name: 'exploding head' }, { e: '🤖', name: 'robot' }, { e: '👻', name: 'ghost' },
  { e: '👽', name: 'alien' }, { e: '💀', name: 'skull' }, { e: '🤡', name: 'clown' }, { e: '😈', name: 'devil' },
  { e: '👀', name: 'eyes' }, { e: '🧠', name: 'brain' }, { e: '🦷', name: 'tooth' }, { e: '🦴', name: 'bone' }
]);

/** Domain-separation label: these bytes are never reused for another purpose. */
export const EMOJI_LABEL = 'cinder/v1/emoji';
/** 16 emoji × 8 bits = 128 bits of the fingerprint's hash. */
export const EMOJI_COUNT = 16;

/** Indices into EMOJI_TABLE: the first 16 bytes of SHA-256(label ‖ 0x00 ‖ fp). */
export function fingerprintEmojiIndices(fp: Uint8Array): number[] {
  assertFingerprint(fp);
  const digest = sha256(concat(utf8(EMOJI_LABEL), Uint8Array.of(0), fp));
  return Array.from(digest.subarray(0, EMOJI_COUNT));
}

export function fingerprintEmoji(fp: Uint8Array): EmojiEntry[] {
  return fingerprintEmojiIndices(fp).map((i) => EMOJI_TABLE[i]);
}

/**
 * Uppercase hex in groups of 4 characters (2 bytes), 8 groups per line
 * (16 bytes per line): a 32-byte fingerprint gives two lines. Longer
 * fingerprints are shown in full rather than silently truncated.
 */
export function fingerprintHex(fp: Uint8Array): string {
  assertFingerprint(fp);
  const groups: string[] = [];
  for (let i = 0; i < fp.length; i += 2) {
    let g = '';
    for (let j = i; j < Math.min(i + 2, fp.length); j++) g += fp[j].toString(16).padStart(2, '0');
    groups.push(g.toUpperCase());
  }
  const lines: string[] = [];
  for (let i = 0; i < groups.length; i += 8) lines.push(groups.slice(i, i + 8).join(' '));
  return lines.join('\n');
}
