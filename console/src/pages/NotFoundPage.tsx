import { Link } from 'react-router';
import { useApp } from '../app-context';

export default function NotFoundPage() {
  const { t } = useApp();
  return (
    <>
      <h1>{t.pageNotFound}</h1>
      <p><Link to="/" className="back-link">{t.backToQueue}</Link></p>
    </>
  );
}
