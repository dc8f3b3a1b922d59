// The landing page: a browser that cannot make video calls is told so before the person
// consents and waits (unsupported.js).
import { tellIfUnsupported } from "./unsupported.js";

tellIfUnsupported();
