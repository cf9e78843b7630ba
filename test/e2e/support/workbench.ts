/**
 * Driving VS Code's workbench (code-server) with playwright-core: keyboard-first, like a user,
 * with bounded waits everywhere. Selectors are VS Code's stable CSS classes.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Locator, Page } from 'playwright-core';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export async function launchBrowser(profileDir: string, chromium: string): Promise<BrowserContext> {
  const { chromium: pw } = await import('playwright-core');
  return pw.launchPersistentContext(profileDir, {
    executablePath: chromium,
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: CHROMIUM_ARGS,
  });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Polls `fn` until it returns a value that is not undefined/false, or throws after `timeoutMs`. */
export async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs: number, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last instanceof Error ? ` (last error: ${last.message})` : ''}`);
}

export class Workbench {
  private shot = 0;

  constructor(
    readonly page: Page,
    private readonly artifacts: string,
  ) {
    mkdirSync(artifacts, { recursive: true });
  }

  async open(url: string, folder: string): Promise<void> {
    await this.page.goto(`${url}?folder=${encodeURIComponent(folder)}`, { timeout: 60_000 });
    await this.page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
    // The explorer shows the folder once the workbench has restored.
    await this.page.waitForSelector('.explorer-folders-view .monaco-list-row', { timeout: 60_000 });
  }

  /** Saves a numbered screenshot in the artifacts folder and returns its path. */
  async screenshot(name: string): Promise<string> {
    const file = join(this.artifacts, `${String(++this.shot).padStart(2, '0')}-${name}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }

  /** The quick input widget (Quick Open, command palette, input boxes). */
  quickInput(): Locator {
    return this.page.locator('.quick-input-widget');
  }

  async waitQuickInput(): Promise<void> {
    await this.quickInput().locator('input').first().waitFor({ state: 'visible', timeout: 10_000 });
  }

  /** Opens a workspace file with Quick Open (Ctrl+P), picking the row whose name is exactly `fileName`. */
  async quickOpen(fileName: string): Promise<void> {
    await this.focusEditorArea();
    await this.page.keyboard.press('Control+P');
    await this.waitQuickInput();
    await this.quickInput().locator('input').first().fill(fileName);
    const row = this.quickInput()
      .locator('.monaco-list-row')
      .filter({ has: this.page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(fileName)}$`) }) })
      .first();
    await row.waitFor({ timeout: 15_000 });
    await row.click();
    // The window title starts with the active editor's name ("● " first when dirty).
    await until(`${fileName} as the active editor`, async () => new RegExp(`^(● )?${escapeRegExp(fileName)}\\b`).test(await this.page.title()), 15_000);
    await this.activeEditor().locator('.view-lines').waitFor({ timeout: 15_000 });
  }

  /**
   * Runs a command from the palette by its title ("Sessionflow: Run Flow"). The text is filled
   * in one go and checked, because a view that grabs focus meanwhile would swallow keystrokes.
   */
  async command(title: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      await this.page.keyboard.press('Control+Shift+P');
      await this.waitQuickInput();
      const input = this.quickInput().locator('input').first();
      await input.fill(`>${title}`);
      const row = this.quickInput().locator('.monaco-list-row', { hasText: title }).first();
      const ok = await row
        .waitFor({ timeout: 10_000 })
        .then(async () => (await input.inputValue()) === `>${title}` && (await input.evaluate((el) => el === document.activeElement)))
        .catch(() => false);
      if (ok) {
        await this.page.keyboard.press('Enter');
        return;
      }
      await this.page.keyboard.press('Escape');
      if (attempt >= 3) throw new Error(`could not run "${title}" from the command palette`);
    }
  }

  /** Waits for a notification toast containing `text`. */
  async notification(text: string | RegExp, timeoutMs = 15_000): Promise<void> {
    await this.page.locator('.notifications-toasts .notification-toast', { hasText: text }).first().waitFor({ timeout: timeoutMs });
  }

  /** Answers an input box (showInputBox) whose title or prompt contains `titlePart`. */
  async answerInput(titlePart: string | RegExp, value: string): Promise<void> {
    const widget = this.quickInput();
    await until(`input box "${String(titlePart)}"`, async () => {
      if (!(await widget.isVisible())) return false;
      const text = (await widget.innerText()).replace(/\s+/g, ' ');
      return typeof titlePart === 'string' ? text.includes(titlePart) : titlePart.test(text);
    }, 20_000);
    await widget.locator('input').first().fill(value);
    await this.page.keyboard.press('Enter');
  }

  /** The visible text editor of the active editor group. */
  activeEditor(): Locator {
    return this.page.locator('.editor-group-container.active .monaco-editor').filter({ visible: true }).first();
  }

  async focusEditorArea(): Promise<void> {
    const editor = this.activeEditor();
    if (await editor.isVisible().catch(() => false)) await editor.locator('.view-lines').click({ position: { x: 5, y: 5 }, timeout: 2_000 }).catch(() => undefined);
  }

  /** Puts the cursor at a 1-based line and column with "Go to Line/Column". */
  async goTo(line: number, column = 1): Promise<void> {
    await this.activeEditor().locator('.view-lines').waitFor({ timeout: 10_000 });
    await this.page.keyboard.press('Control+G');
    await this.waitQuickInput();
    await this.page.keyboard.type(`${line}:${column}`);
    await this.page.keyboard.press('Enter');
    await this.quickInput().waitFor({ state: 'hidden', timeout: 5_000 });
  }

  /** The visible lines of the active editor, top to bottom (VS Code renders only what is on screen). */
  async visibleLines(): Promise<string[]> {
    return this.activeEditor().evaluate((el) => {
      const lines = [...el.querySelectorAll('.view-lines .view-line')] as HTMLElement[];
      return lines
        .map((l) => ({ top: parseFloat(l.style.top || '0'), text: (l.textContent ?? '').replace(/\u00a0/g, ' ') }))
        .sort((a, b) => a.top - b.top)
        .map((l) => l.text);
    });
  }

  async openProblems(): Promise<void> {
    await this.command('View: Focus Problems');
    await this.page.locator('.markers-panel').waitFor({ timeout: 10_000 });
  }

  /** Texts of the rows in the Problems panel (file rows and marker rows). */
  async problemRows(): Promise<string[]> {
    return this.page.locator('.markers-panel .monaco-list-row').evaluateAll((rows) =>
      rows.map((r) => (r.getAttribute('aria-label') ?? '') + ' | ' + (r.textContent ?? '')),
    );
  }

  /** Problem count badges in the status bar: [errors, warnings]. */
  async statusProblemCounts(): Promise<[number, number] | undefined> {
    const text = await this.page.locator('#status\\.problems').first().innerText().catch(() => '');
    const nums = text.match(/\d+/g);
    if (nums === null || nums.length < 2) return undefined;
    return [Number(nums[0]), Number(nums[1])];
  }

  /** Text of suggest-widget rows (completion). */
  async suggestions(): Promise<string[]> {
    const widget = this.page.locator('.editor-widget.suggest-widget.visible');
    await widget.waitFor({ timeout: 10_000 });
    await until('completion items', async () => (await widget.locator('.monaco-list-row').count()) > 0, 10_000);
    return widget.locator('.monaco-list-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('aria-label') ?? r.textContent ?? ''));
  }

  /** Text of the panel area (Problems, Output, ...), with Monaco's non-breaking spaces normalised. */
  async panelText(): Promise<string> {
    return this.page.locator('.part.panel').first().evaluate((el) => (el.textContent ?? '').replace(/\u00a0/g, ' '));
  }

  async hoverText(): Promise<string> {
    const hover = this.page.locator('.monaco-hover:not(.hidden)').first();
    await hover.waitFor({ state: 'visible', timeout: 10_000 });
    return until('hover content', async () => {
      const t = (await hover.innerText()).trim();
      return t.length > 0 && !/^Loading/.test(t) ? t : undefined;
    }, 10_000);
  }
}
