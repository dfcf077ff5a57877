/**
 * A microphone for browser tests on every engine: getUserMedia answers with a stream from an
 * AudioContext oscillator (440 Hz, its loudness swinging twice a second so the waveform has a shape),
 * through a MediaStreamDestination. Self-contained (no outer variables): pass it to
 * `page.addInitScript` (before the app loads) or a Device's `eval` (after the last navigation).
 * `mode` 'refused' answers like a user who refused access, 'none' like a machine without a microphone.
 */
export function installFakeMicrophone(mode: 'ok' | 'refused' | 'none' = 'ok') {
  const w = window as unknown as { __fakeMic?: string; webkitAudioContext?: typeof AudioContext };
  w.__fakeMic = mode;
  const getUserMedia = async (constraints?: MediaStreamConstraints): Promise<MediaStream> => {
    if (!constraints?.audio) throw new DOMException('only audio is faked', 'NotSupportedError');
    if (w.__fakeMic === 'refused') throw new DOMException('Permission denied', 'NotAllowedError');
    if (w.__fakeMic === 'none') throw new DOMException('Requested device not found', 'NotFoundError');
    const Ctx = window.AudioContext ?? w.webkitAudioContext!;
    const ctx = new Ctx();
    const tone = ctx.createOscillator();
    tone.frequency.value = 440;
    const level = ctx.createGain();
    level.gain.value = 0.5;
    const swing = ctx.createOscillator();
    swing.frequency.value = 2;
    const depth = ctx.createGain();
    depth.gain.value = 0.45;
    swing.connect(depth).connect(level.gain);
    const out = ctx.createMediaStreamDestination();
    tone.connect(level).connect(out);
    tone.start();
    swing.start();
    // Not awaited: an engine that holds a context suspended until a gesture (Firefox) never settles it.
    void ctx.resume().catch(() => undefined);
    // The app stops the tracks when it is done: close the context with them.
    for (const t of out.stream.getTracks()) {
      const stop = t.stop.bind(t);
      t.stop = () => {
        stop();
        void ctx.close().catch(() => undefined);
      };
    }
    return out.stream;
  };
  if (!navigator.mediaDevices) Object.defineProperty(navigator, 'mediaDevices', { configurable: true, value: {} });
  // On the prototype where there is one: WebKit may replace the navigator.mediaDevices wrapper after a
  // garbage collection, without a property set on the old one.
  const devices = navigator.mediaDevices;
  const proto = Object.getPrototypeOf(devices) as object;
  Object.defineProperty(proto === Object.prototype ? devices : proto, 'getUserMedia', { configurable: true, value: getUserMedia });
}
