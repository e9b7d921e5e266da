/** Hooks the room and arena pages share: the tab's title, and leaving when the page goes away. */
import { useEffect } from 'preact/hooks';

/** Sets the tab's title while the page is shown. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = title;
    return () => {
      document.title = 'Parley';
    };
  }, [title]);
}

/** Navigating away (or closing the tab) leaves, so the others drop this peer at once. */
export function useLeaveOnExit(session: { leave(): unknown } | undefined): void {
  useEffect(() => {
    if (!session) return;
    const onUnload = () => void session.leave();
    addEventListener('pagehide', onUnload);
    return () => {
      removeEventListener('pagehide', onUnload);
      void session.leave();
    };
  }, [session]);
}
