// Worker entry point: workflow tasks and the GPU queue.
import { main } from './main.js';

main(['workflows', 'gpu']);
