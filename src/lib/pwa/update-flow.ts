/**
 * What a tab does when a new version of Cinder is deployed (docs/architecture.md, service worker).
 *
 * The new service worker installs once for all tabs and waits; every open tab offers "Reload". The
 * one whose user clicks it activates the new worker, which claims every tab. From then on the other
 * tabs run the old page under the new worker: the old hashed chunks were purged from the cache and
 * the server no longer has them, so their lazy imports (routes, the secret-chat engine) fail even
 * online. So every tab moves to the new version once the new worker controls it:
 *
 * - the tab whose user clicked reloads at once;
 * - a hidden tab reloads at once: nobody is looking at it, and the sooner its old code stops the
 *   fewer lazy imports can fail (waiting for it to be shown again would reload it under its user's
 *   eyes, and run old code meanwhile);
 * - a shown tab is not yanked: it says "Cinder was updated" with a Reload that works, and reloads by
 *   itself once it is hidden;
 * - a tab holding what a reload would lose (reload-guard.ts: a picked file, an upload, a recording,
 *   a draft that could not be saved) never reloads by itself; it keeps the banner until its user
 *   reloads. A draft alone does not hold it: drafts are kept per chat and saved before the reload.
 *
 * Every reload first saves the drafts (`save`) and lets the app's worker finish what it is storing
 * (`leave`). An automatic reload whose save failed or did not finish in time does not happen: the tab
 * keeps the banner, like one holding a picked file.
 */

/** 'needed': this tab met what a newer version wrote (a secret chat's state), though no new worker may be known yet. */
export type UpdatePhase = 'none' | 'waiting' | 'updated' | 'needed';

/** Whether a tab reloads now that the new version controls it, or waits (showing the banner). */
export function whenUpdated(tab: { asked: boolean; visible: boolean; held: boolean }): 'reload' | 'wait' {
  if (tab.asked) return 'reload';
  if (tab.held) return 'wait';
  return tab.visible ? 'wait' : 'reload';
}

export interface UpdateEnv {
  visible(): boolean;
  /** A reload would lose something (reload-guard.ts). */
  held(): boolean;
  /** Saves what survives a reload (the drafts); false when something could not be saved in time. */
  save(): Promise<boolean>;
  /** The worker finishes what it is storing and starts nothing new. */
  leave(): Promise<void>;
  reload(): void;
  /** Tells the waiting worker to take over; false when none waits (another tab activated it). */
  activateWaiting(): Promise<boolean>;
  /** Shows the phase: "a new version is ready", "Cinder was updated" or "a newer version is needed". */
  show(phase: UpdatePhase): void;
  /** Whether this tab's user answered "Not now" to 'needed' for this build (kept through its reloads). */
  neededDismissed(): boolean;
  /** Remembers that answer for this build in this tab. */
  dismissNeeded(): void;
}

/** How long a clicked Reload waits for the new worker to take over before reloading anyway. */
export const ACTIVATE_WAIT_MS = 10_000;

export class UpdateFlow {
  phase: UpdatePhase = 'none';
  private asked = false;
  /** Leaving for a reload: the worker was asked to finish, the reload follows. */
  private leaving = false;
  private reloaded = false;

  constructor(
    private readonly env: UpdateEnv,
    private readonly wait = (ms: number) => new Promise<void>((done) => setTimeout(done, ms))
  ) {}

  /** A new version installed and waits. */
  waiting(): void {
    if (this.phase !== 'none' && this.phase !== 'needed') return;
    this.phase = 'waiting';
    this.env.show(this.phase);
  }

  /**
   * This tab's code is older than data it met (a newer version wrote it: another tab, or a build since
   * rolled back). Offers Reload, which takes a waiting version if there is one, else reloads.
   */
  needed(): void {
    if (this.phase !== 'none' || this.env.neededDismissed()) return;
    this.phase = 'needed';
    this.env.show(this.phase);
  }

  /**
   * "Not now" on 'needed': no newer version may be there to take (a rolled-back server hands out this
   * build again, so Reload would bring the prompt straight back). The chats it concerns keep saying so;
   * a version found waiting later is still offered.
   */
  later(): void {
    if (this.phase !== 'needed') return;
    this.phase = 'none';
    this.env.dismissNeeded();
    this.env.show(this.phase);
  }

  /** A new version took control of this tab: its page and worker are the old ones now. */
  controlling(): void {
    this.phase = 'updated';
    if (!this.asked) this.env.show(this.phase);
    this.settle();
  }

  /** The tab was shown or hidden. */
  visibilityChanged(): void {
    if (this.phase === 'updated') this.settle();
  }

  /** The banner's Reload: always ends in a reload. */
  async reloadClicked(): Promise<void> {
    if (this.asked || this.leaving) return;
    this.asked = true;
    // Asked for: reloads even when a save failed.
    await this.env.save();
    await this.env.leave();
    if (this.phase !== 'updated' && (await this.env.activateWaiting().catch(() => false))) {
      // controlling() reloads; should the new worker not take over, the reload happens anyway.
      await this.wait(ACTIVATE_WAIT_MS);
    }
    this.reload();
  }

  private settle(): void {
    if (whenUpdated({ asked: this.asked, visible: this.env.visible(), held: this.env.held() }) === 'reload') void this.leaveAndReload();
  }

  private async leaveAndReload(): Promise<void> {
    // A clicked Reload has left already.
    if (!this.asked) {
      if (this.leaving) return;
      this.leaving = true;
      // What could not be saved (a draft the store refused while locked) would be lost: its user reloads.
      if (!(await this.env.save()) || this.env.held()) {
        this.leaving = false;
        return;
      }
      await this.env.leave();
    }
    this.reload();
  }

  private reload(): void {
    if (this.reloaded) return;
    this.reloaded = true;
    this.env.reload();
  }
}
