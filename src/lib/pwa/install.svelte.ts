/**
 * Installing Cinder to the home screen: Chromium offers `beforeinstallprompt` (we keep it and show
 * our own "Install app" button); iOS Safari has no such event, so we explain "Add to Home Screen".
 */
interface InstallPromptEvent extends Event {
  prompt(): Promise<void>;
  userChoice: Promise<{ outcome: 'accepted' | 'dismissed' }>;
}

export const install = $state<{ available: boolean; standalone: boolean; ios: boolean }>({ available: false, standalone: false, ios: false });

let deferred: InstallPromptEvent | null = null;

export function watchInstall(): () => void {
  install.standalone = matchMedia('(display-mode: standalone)').matches || (navigator as { standalone?: boolean }).standalone === true;
  install.ios = /iPhone|iPad|iPod/.test(navigator.userAgent) && !/CriOS|FxiOS/.test(navigator.userAgent);
  const onPrompt = (e: Event) => {
    e.preventDefault();
    deferred = e as InstallPromptEvent;
    install.available = true;
  };
  const onInstalled = () => {
    deferred = null;
    install.available = false;
    install.standalone = true;
  };
  addEventListener('beforeinstallprompt', onPrompt);
  addEventListener('appinstalled', onInstalled);
  return () => {
    removeEventListener('beforeinstallprompt', onPrompt);
    removeEventListener('appinstalled', onInstalled);
  };
}

export async function promptInstall(): Promise<boolean> {
  if (!deferred) return false;
  await deferred.prompt();
  const { outcome } = await deferred.userChoice;
  deferred = null;
  install.available = false;
  return outcome === 'accepted';
}
