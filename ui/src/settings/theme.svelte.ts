// Light or dark: the OS's choice (prefers-color-scheme) unless the user picked one in settings.
// The choice is remembered in localStorage and applied as `data-theme` on <html>; app.css holds
// the colours of both (no attribute: follow the OS).

export type ThemeChoice = "system" | "light" | "dark";

const KEY = "conclave.theme";

function stored(): ThemeChoice {
  try {
    const v = localStorage.getItem(KEY);
    return v === "light" || v === "dark" ? v : "system";
  } catch {
    return "system";
  }
}

function apply(choice: ThemeChoice): void {
  const root = document.documentElement;
  if (choice === "system") delete root.dataset.theme;
  else root.dataset.theme = choice;
}

class ThemeState {
  choice = $state<ThemeChoice>(stored());

  constructor() {
    apply(this.choice);
  }

  set(choice: ThemeChoice): void {
    this.choice = choice;
    apply(choice);
    try {
      if (choice === "system") localStorage.removeItem(KEY);
      else localStorage.setItem(KEY, choice);
    } catch {
      // Storage unavailable: the choice lasts this session.
    }
  }
}

export const theme = new ThemeState();
