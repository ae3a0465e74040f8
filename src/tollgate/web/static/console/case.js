// The case page: zoom and rotate document images, draw PDFs with the vendored pdf.js.
// Everything here only adds to a page that works without it (images show, PDFs have an "Open" link).
import * as pdfjs from "/static/vendor/pdf.min.mjs";

pdfjs.GlobalWorkerOptions.workerSrc = "/static/vendor/pdf.worker.min.mjs";

function apply(img) {
  const scale = Number(img.dataset.scale);
  const rotation = Number(img.dataset.rotation);
  img.style.transform = `scale(${scale}) rotate(${rotation}deg)`;
}

document.querySelectorAll("button[data-zoom], button[data-rotate]").forEach((button) => {
  button.addEventListener("click", () => {
    const img = document.getElementById(button.dataset.target);
    if (!img) return;
    if (button.dataset.zoom) {
      const factor = button.dataset.zoom === "in" ? 1.25 : 0.8;
      img.dataset.scale = String(Math.min(6, Math.max(0.25, Number(img.dataset.scale) * factor)));
    } else {
      img.dataset.rotation = String((Number(img.dataset.rotation) + Number(button.dataset.rotate)) % 360);
    }
    apply(img);
  });
});

async function drawPdf(box) {
  try {
    const doc = await pdfjs.getDocument({ url: box.dataset.pdf, withCredentials: true, isEvalSupported: false }).promise;
    for (let n = 1; n <= Math.min(doc.numPages, 20); n += 1) {
      const page = await doc.getPage(n);
      const viewport = page.getViewport({ scale: 1.3 });
      const canvas = document.createElement("canvas");
      canvas.width = viewport.width;
      canvas.height = viewport.height;
      canvas.setAttribute("role", "img");
      canvas.setAttribute("aria-label", `Page ${n} of ${doc.numPages}`);
      box.appendChild(canvas);
      await page.render({ canvasContext: canvas.getContext("2d"), viewport }).promise;
    }
    box.dataset.rendered = String(doc.numPages);
  } catch (err) {
    box.textContent = "This PDF could not be drawn here; open it instead.";
    box.dataset.rendered = "error";
  }
}

document.querySelectorAll("[data-pdf]").forEach((box) => { drawPdf(box); });
