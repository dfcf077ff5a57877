/** What a user does, in words every engine's Device understands. */
import type { Device, Target } from './driver';

export const PASSWORD = 'correct horse battery';

let counter = 0;
export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid % 1000}_${Date.now() % 100000}_${counter++}`.slice(0, 32);
}

export const messages: Target = { role: 'list', name: 'Messages', exact: true };
export const inMessages = (text: string): Target => ({ text, within: messages });

export interface User {
  device: Device;
  username: string;
  name: string;
}

export async function signUp(device: Device, prefix: string, name: string): Promise<User> {
  const username = uniqueName(prefix);
  await device.goto('/signup');
  await device.fill({ label: 'Username', exact: true }, username);
  await device.fill({ label: /Display name/ }, name);
  await device.fill({ label: 'Password', exact: true }, PASSWORD);
  await device.click({ role: 'button', name: 'Sign up', exact: true });
  await device.see({ role: 'heading', name: 'Chats', exact: true });
  return { device, username, name };
}

export async function logIn(device: Device, username: string, name: string): Promise<User> {
  await device.goto('/login');
  await device.fill({ label: 'Username', exact: true }, username);
  await device.fill({ label: 'Password', exact: true }, PASSWORD);
  await device.click({ role: 'button', name: 'Sign in', exact: true });
  await device.see({ role: 'heading', name: 'Chats', exact: true });
  return { device, username, name };
}

/** The directory → profile → "Send message", as a user finds a contact. */
export async function openChatWith(device: Device, peer: string) {
  await device.goto('/');
  await device.fill({ label: 'Search chats and people' }, peer);
  await device.click({ role: 'link', hasText: `@${peer}`, within: { role: 'list', name: 'People', exact: true } });
  await device.click({ role: 'link', name: 'Send message', exact: true });
  await device.see({ label: 'Message', exact: true });
}

export async function send(device: Device, text: string) {
  await device.fill({ label: 'Message', exact: true }, text);
  await device.click({ role: 'button', name: 'Send', exact: true });
  await device.see(inMessages(text));
}

/** Profile → "…" → "Start Secret Chat"; returns the chat's id. */
export async function startSecretChat(device: Device, peer: string): Promise<string> {
  await device.goto(`/u/${peer}`);
  await device.click({ role: 'button', name: 'More actions', exact: true });
  await device.click({ role: 'menuitem', name: 'Start Secret Chat', exact: true });
  const url = await device.waitForURL(/\/secret\/[^/]+$/);
  return url.split('/secret/')[1];
}

export async function setTimer(device: Device, label: string) {
  await device.click({ role: 'button', name: /Self-destruct timer/ });
  await device.click({ role: 'radio', name: label, exact: true });
}

/** Waits until the service worker controls the page (reloading once if needed), so it can start offline. */
export async function controlledBySW(device: Device) {
  await device.eval(async () => void (await navigator.serviceWorker.ready));
  if (!(await device.eval(() => !!navigator.serviceWorker.controller))) await device.reload();
  await device.until('the service worker to control the page', () => device.eval(() => !!navigator.serviceWorker.controller));
}

/** A 1×1-ish PNG the app can show (a real image, so decoding works in every engine). */
export const RED_DOT_PNG = Uint8Array.from(Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAEklEQVR4nGP4z8CAFWEXHbQSACj/P8Fu7N9hAAAAAElFTkSuQmCC', 'base64'));
