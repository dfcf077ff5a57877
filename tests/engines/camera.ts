/**
 * A camera for engines without fake-device flags: the scanning page's getUserMedia is replaced by a
 * canvas stream that draws the QR code shown on the other device's key screen (its SVG path).
 */
import type { Device } from './driver';

export const camera = {
  async showQrOf(shown: Device, scanner: Device): Promise<void> {
    const { path, size } = await shown.until('the key QR code', () =>
      shown.eval(() => {
        const svg = document.querySelector('[data-testid="my-key-qr"] svg, svg.key-qr');
        const path = svg?.querySelector('path')?.getAttribute('d');
        const size = svg?.getAttribute('viewBox')?.split(' ')[2];
        return path && size ? { path, size: Number(size) } : null;
      })
    );
    await scanner.eval(
      (path: string, size: number) => {
        const canvas = document.createElement('canvas');
        canvas.width = 640;
        canvas.height = 480;
        const ctx = canvas.getContext('2d')!;
        const shape = new Path2D(path);
        const draw = () => {
          ctx.setTransform(1, 0, 0, 1, 0, 0);
          ctx.fillStyle = '#fff';
          ctx.fillRect(0, 0, 640, 480);
          ctx.setTransform(400 / size, 0, 0, 400 / size, 120, 40);
          ctx.fillStyle = '#000';
          ctx.fill(shape);
        };
        draw();
        // A live stream needs new frames; redraw at the capture rate.
        setInterval(draw, 66);
        const stream = canvas.captureStream(15);
        // On MediaDevices.prototype, not the instance: WebKit may drop the navigator.mediaDevices wrapper in
        // a garbage collection and make a new one without the property (the app then got the real camera
        // call, "No camera was found"). The stream is kept on window for the same reason.
        (window as unknown as { __fakeCamera?: MediaStream }).__fakeCamera = stream;
        Object.defineProperty(Object.getPrototypeOf(navigator.mediaDevices), 'getUserMedia', { configurable: true, value: async () => stream });
      },
      path,
      size
    );
  }
};
