// Worker entry point: workflow tasks and the CPU queue.
import { main } from './main.js';

main(['workflows', 'cpu']);
