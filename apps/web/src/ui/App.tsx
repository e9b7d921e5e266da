/** The app shell: picks the page from the URL's hash; the room and check pages load on demand. */
import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { useRoute } from '../lib/route.js';
import { Home } from './Home.js';

export function App() {
  const route = useRoute();
  if (route.page === 'room') return <Lazy key={route.room} load={loadRoom} props={{ room: route.room }} />;
  if (route.page === 'game')
    return <Lazy key={`g-${route.room}`} load={loadGame} props={{ room: route.room }} />;
  if (route.page === 'check') return <Lazy load={loadCheck} props={{}} />;
  if (route.page === 'send') return <Lazy load={loadSend} props={{}} />;
  if (route.page === 'receive')
    return <Lazy key={`f-${route.code}`} load={loadReceive} props={{ code: route.code }} />;
  return <Home />;
}

const loadRoom = () => import('../room/RoomPage.js').then((m) => m.RoomPage as ComponentType<object>);
const loadGame = () => import('../game/GamePage.js').then((m) => m.GamePage as ComponentType<object>);
const loadSend = () => import('../room/SendPage.js').then((m) => m.SendPage as ComponentType<object>);
const loadReceive = () =>
  import('../room/ReceivePage.js').then((m) => m.ReceivePage as ComponentType<object>);
const loadCheck = () => import('./Check.js').then((m) => m.Check as ComponentType<object>);

function Lazy<P extends object>(props: { load: () => Promise<ComponentType<P>>; props: P }) {
  const [Page, setPage] = useState<ComponentType<P> | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const { load } = props;
  useEffect(() => {
    load().then(
      (c) => setPage(() => c),
      (e: Error) => setError(e.message),
    );
  }, [load]);
  if (error)
    return (
      <p role="alert" class="page">
        Could not load this page: {error}
      </p>
    );
  if (!Page)
    return (
      <p class="page muted" aria-live="polite">
        Loading…
      </p>
    );
  return <Page {...props.props} />;
}
