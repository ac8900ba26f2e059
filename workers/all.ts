// Worker entry point: every queue (the default).
import { main } from './main.js';

main(['workflows', 'cpu', 'gpu']);
