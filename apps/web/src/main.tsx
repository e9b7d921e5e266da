import { render } from 'preact';
import './styles.css';
import { App } from './ui/App.js';

const root = document.getElementById('app');
if (root) render(<App />, root);
