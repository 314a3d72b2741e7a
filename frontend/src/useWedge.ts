import { useEffect, useRef } from "react";

// Keyboard-wedge barcode scanners type a code as fast keystrokes ending in
// Enter. Keys closer together than this are taken as one scan.
const maxGapMs = 40;
const minLength = 4;

/**
 * Calls onScan with each code a keyboard-wedge scanner types while the focus
 * is outside any text field (inside one, the field receives it as usual).
 */
export function useWedge(onScan: (code: string) => void) {
  const handler = useRef(onScan);
  useEffect(() => {
    handler.current = onScan;
  }, [onScan]);
  useEffect(() => {
    let buffer = "";
    let last = 0;
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement | null;
      if (target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.isContentEditable)) {
        return;
      }
      const now = e.timeStamp;
      if (now - last > maxGapMs) {
        buffer = "";
      }
      last = now;
      if (e.key === "Enter") {
        if (buffer.length >= minLength) {
          e.preventDefault();
          handler.current(buffer);
        }
        buffer = "";
      } else if (e.key.length === 1 && !e.ctrlKey && !e.altKey && !e.metaKey) {
        buffer += e.key;
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
}
