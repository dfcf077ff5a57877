/**
 * Inputs of the backend self-test and the reference's (noble's) answers to them, pinned as hex so
 * the start-up self-test only runs the candidate: computing them with noble at run time cost most
 * of the self-test (≈ 50 ms warm, a few hundred ms cold). RFC values are the RFCs'; the others were
 * computed with @noble/curves / @noble/hashes, and tests/unit/crypto/self-test-vectors.test.ts
 * recomputes every one of them, so a typo here fails CI instead of rejecting a sound engine.
 */
import { fromHex, utf8 } from '../bytes.js';
import type { ProtocolErrorCode } from '../errors.js';

const h = fromHex;
const bytes = <K extends string>(o: Record<K, string>): Record<K, Uint8Array> =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k, h(v as string)])) as Record<K, Uint8Array>;

/** The message signed by the test keys. */
export const MSG = utf8('cinder backend self-test');

// --- X25519 ------------------------------------------------------------------------------------

// RFC 7748 §6.1.
export const ALICE = bytes({
  priv: '77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a',
  pub: '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a'
});
export const BOB = bytes({
  priv: '5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb',
  pub: 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f'
});
export const ALICE_BOB = h('4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742');

/**
 * RFC 7748 §5.2: scalar k, u, out = X25519(k, u); the second u has its top bit set, which must be
 * masked. pub (k's public key, not in the RFC) is what the JWK import path needs with k.
 */
export const RFC7748_52 = [
  bytes({
    k: 'a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4',
    pub: '1c9fd88f45606d932a80c71824ae151d15d73e77de38e8e000852e614fae7019',
    u: 'e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c',
    out: 'c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552'
  }),
  bytes({
    k: '4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d',
    pub: 'ff63fe57bfbf43fa3f563628b149af704d3db625369c49983650347a6a71e00e',
    u: 'e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493',
    out: '95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957'
  })
];

/** X25519 private key whose public key starts with a zero byte; shared = X25519(ALICE.priv, pub). */
export const X_PUB_ZERO = bytes({
  priv: '51c17625a2e1911890d28ddf670c6d7bbcb22134d7e1eac4639def81ddfe71f0',
  pub: '001eca648d4cdae284485ef74bce4bda3cae92b52e093097c2dda186704c4408',
  shared: '08faa01cdac4ef0f2df8bad22db4265c0c4322198fd9a65227ff979b3c81e10b'
});

/** Low-order u-coordinates and their non-canonical forms (0, 1, order 8 twice, p-1, p, p+1). */
export const LOW_ORDER = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'
].map(h);

// --- keys with zero bytes (both curves) ----------------------------------------------------------

/**
 * Leading zero, two leading zeros, trailing zero, and 0x05 (a leading zero once clamped), each used
 * as an X25519 private key and as an Ed25519 seed: xShared = X25519(priv, ALICE.pub), edSig = the
 * Ed25519 signature of MSG.
 */
export const ZERO_KEYS = [
  bytes({
    priv: '000a5fc5b761f302d7017eda98070d3f84d93adaccb8ee44da9bf065e972743a',
    xPub: '3f5b4fc0fc86c2f4fe21f8c841618f3ad6c68434a30e4076729619cb31d5216c',
    xShared: 'fa13e87d34e0faeef5ab482a9f1cbe7e8ebac8ebcdb99ccf0284fa56fd51e830',
    edPub: '70024d20d474c230db787e0fa313d3f5a68ae6b55b8b1421d9a014701a05ab13',
    edSig: '5860c0c6b805a0f15501f0c9321bd0d2a7109795d6ca2aba91d23c9ba0cfae116815b40021eefc13a080dcff0f12b77df49a786e6a16c783e01ac5696accff08'
  }),
  bytes({
    priv: '00004c7128186f8fbfa33f120f55689615523ffe6540ec41422392598a3df594',
    xPub: 'a7b79475c82cff39da436fc29f8ce32a27360005864eefc32ff5941a731e5216',
    xShared: '7ed97a3ea4b6a95215688911a6f94b75f77d2a7b1c2ea1e49bf11cc9c982db33',
    edPub: '3fd9cbad13ef7f2ee9063c41f067c11c143cb25ce4579b1e0e5c1945d42966c0',
    edSig: '6f2e978c5a2d25c0fc529dcd8be59ce7e37b8d5fa47c5c2dc0b0119b35bdea6a1e5e276771a6f42a18d37bcce6ec16249b5056a467c97fda53147d3c4c30230f'
  }),
  bytes({
    priv: '21c3616bca7dd8f4b8bbdc15b9306c198380b1b730c212f38a4340f33da5d900',
    xPub: '0d05e110ef331a09d6985afa5612139dfb3dc774cd81f7515dd7d2aa1f775e06',
    xShared: 'b72d5cb3c87d5e226bcb73620d6f90059752414cc984ad37fceecf3aeca7a454',
    edPub: 'fe8e0187c9588825fa208f509bf53cf1116cff29d35bf3d693914f946cad1917',
    edSig: '37b2d13eae01969603682f2369fed93005fefee34456f8e4cf4c12e8fa85131d3d9e84b4255035f242ef09266e10f62d2c6dde3914833d6c0fc50af8617f7f03'
  }),
  bytes({
    priv: '055dbe81e35c65babdf71a4b2f46083465f7ce24fc5bb9df27e0e8b4160ca81e',
    xPub: '21df7b8a21d688ca4bfa844a492854bcc587286fa4592edbe15c74358240be58',
    xShared: 'aa4f16aa0f3ad4ce7fca176513a2a6b9d24e7f5e579df5f66a32a90b2a411018',
    edPub: '03ee365c2ffd3deba5fabe29a35826f24872f7fbccf297a9528938f00b648021',
    edSig: '0da7a3b84dcd93dba90c64bd6a4b491656913e5af39a4b9899af812351cc7fd82be16c9232c49e760fcb55b7ce6fe8ef121258a7885272b812ba29e83c6ea803'
  })
] as const;

// --- Ed25519 -------------------------------------------------------------------------------------

/** RFC 8032 §7.1 tests 1-3. */
export const RFC8032 = [
  bytes({
    seed: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    pub: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    msg: '',
    sig: 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b'
  }),
  bytes({
    seed: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    pub: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    msg: '72',
    sig: '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00'
  }),
  bytes({
    seed: 'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
    pub: 'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
    msg: 'af82',
    sig: '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a'
  })
] as const;
/** The RFC 8032 test 1 key's signature of MSG (valid and tampered verify cases). */
export const RFC8032_1_MSG_SIG = h('4a2b54c235c846b18323a0f2ad0119cba6cb12120e0495f3f0fe12bdea94b43c711ec8bb12135a3695e34635674f1512d21b71c0c21d72140226ae714ecf6e0a');

/** Ed25519 seed whose public key starts with a zero byte; sig = its signature of MSG. */
export const ED_PUB_ZERO = bytes({
  seed: '16119ef8ee753085b04f739a5cf49ebc23476096ab2e8a34cde971f3cbc73f16',
  pub: '00e9fe8bf4e8aad66eae14aeef14126d6c3615bf3daf995fc63abd5296197c0a',
  sig: 'ecacc6494bad2a672a0f1fef4b2c62c8db347f89b8825742af4116a96936605d2be1de95864d523ea7b6499a57d23889815d7d738387eab9df1a0ed804dd3401'
});

export const ED_IDENTITY = h('0100000000000000000000000000000000000000000000000000000000000000');
export const ED_NOT_ON_CURVE = h('0200000000000000000000000000000000000000000000000000000000000000');
/** The group order L, little-endian (for the S + L case). */
export const ED_L = h('edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010');

// --- HKDF / HMAC ---------------------------------------------------------------------------------

export interface HkdfVector {
  readonly label: string;
  readonly ikm: Uint8Array;
  readonly salt: Uint8Array;
  readonly info: Uint8Array;
  readonly length: number;
  /** The output, or the ProtocolError code for an out-of-range length. */
  readonly want: Uint8Array | ProtocolErrorCode;
}

const NONE = new Uint8Array(0);

/** RFC 5869 A.1 and A.3; the handshake's 96-byte output; one byte; out-of-range lengths. */
export const HKDF: readonly HkdfVector[] = [
  {
    label: 'RFC 5869 A.1',
    ikm: h('0b'.repeat(22)),
    salt: h('000102030405060708090a0b0c'),
    info: h('f0f1f2f3f4f5f6f7f8f9'),
    length: 42,
    want: h('3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865')
  },
  {
    label: 'RFC 5869 A.3',
    ikm: h('0b'.repeat(22)),
    salt: NONE,
    info: NONE,
    length: 42,
    want: h('8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8')
  },
  {
    label: '96 bytes',
    ikm: ZERO_KEYS[0].priv,
    salt: ZERO_KEYS[1].priv,
    info: MSG,
    length: 96,
    want: h(
      '42befd84122ab03610e0cc80a3902f9b72e9ee3c35ad2a36521124b595fb132ad67d0731ca2ef1aa02e575c7a42da776ef88541a15b33fabf0612ec419b43257de7a20c92ff6b3a77faf7e2ba730c68803452c2578b71e82989e706cb74c963f'
    )
  },
  { label: '1 byte', ikm: ZERO_KEYS[0].priv, salt: NONE, info: MSG, length: 1, want: h('22') },
  { label: 'length 0', ikm: ZERO_KEYS[0].priv, salt: NONE, info: MSG, length: 0, want: 'malformed' },
  { label: 'length 8161', ikm: ZERO_KEYS[0].priv, salt: NONE, info: MSG, length: 255 * 32 + 1, want: 'malformed' }
];

export interface HmacVector {
  readonly label: string;
  readonly key: Uint8Array;
  readonly msg: Uint8Array;
  readonly want: Uint8Array;
}

/** RFC 4231 tests 1, 2 and 6 (key longer than the block); the empty key WebCrypto refuses; empty message. */
export const HMAC: readonly HmacVector[] = [
  { label: 'RFC 4231 test 1', key: h('0b'.repeat(20)), msg: utf8('Hi There'), want: h('b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7') },
  { label: 'RFC 4231 test 2', key: utf8('Jefe'), msg: utf8('what do ya want for nothing?'), want: h('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843') },
  {
    label: 'RFC 4231 test 6',
    key: h('aa'.repeat(131)),
    msg: utf8('Test Using Larger Than Block-Size Key - Hash Key First'),
    want: h('60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54')
  },
  { label: 'empty key', key: NONE, msg: MSG, want: h('d74fc9a1aed0a7c2d37889705f18afd0193340b51ee0a2a0da9edd10499a2d95') },
  { label: 'empty key and message', key: NONE, msg: NONE, want: h('b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad') },
  { label: 'empty message', key: ZERO_KEYS[0].priv, msg: NONE, want: h('83df29ecca3ed57d3188c03f5cac269d5c9e6ea90a6e24bb4908473cca397eee') }
];
