"""A bidirectional LSTM sequence classifier over padded, packed batches, in the style of the
many public PyTorch text-classification tutorials.

Plain PyTorch: variable-length sequences padded with ``pad_sequence`` and packed with
``pack_padded_sequence(enforce_sorted=False)``, an Embedding, a bidirectional
``batch_first`` LSTM whose last forward and backward states are joined with
``torch.cat``, ``nn.init.xavier_uniform_``/``orthogonal_``/``zeros_`` over
``named_parameters()``, ``nn.CrossEntropyLoss``, ``optim.Adam`` with weight decay and a
``StepLR`` schedule, ``clip_grad_value_``, accuracy from ``argmax``, and a training
checkpoint (model, optimiser and scheduler state in one dict) saved, loaded into fresh
objects, and trained on. tests/test_ported_programs.py runs this file unchanged with
torch and with lstmkit bound to the torch names.

Run: python sequence_classifier.py [--epochs N] [--checkpoint PATH] [--no-resume] [--init STATE] ...
"""

import argparse
import random

import torch
import torch.nn as nn
import torch.optim as optim


def make_dataset(n=24, vocab=6, seed=0):
    """Sequences of tokens 1..vocab-1; the label says whether token 1 outnumbers token 2."""
    rand = random.Random(seed)
    data = []
    for _ in range(n):
        length = rand.randint(2, 8)
        seq = [rand.randint(1, vocab - 1) for _ in range(length)]
        data.append((seq, int(seq.count(1) > seq.count(2))))
    return data


def collate(batch):
    seqs = [torch.tensor(seq, dtype=torch.long) for seq, _ in batch]
    lengths = torch.tensor([len(seq) for seq in seqs])
    labels = torch.tensor([label for _, label in batch])
    return nn.utils.rnn.pad_sequence(seqs, batch_first=True), lengths, labels


class Classifier(nn.Module):
    def __init__(self, vocab_size, embed_dim, hidden_dim, num_classes):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.lstm = nn.LSTM(embed_dim, hidden_dim, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(2 * hidden_dim, num_classes)
        self.init_weights()

    def init_weights(self):
        for name, param in self.lstm.named_parameters():
            if "weight_ih" in name:
                nn.init.xavier_uniform_(param)
            elif "weight_hh" in name:
                nn.init.orthogonal_(param)
            elif "bias" in name:
                nn.init.zeros_(param)

    def forward(self, tokens, lengths):
        embedded = self.embedding(tokens)
        packed = nn.utils.rnn.pack_padded_sequence(embedded, lengths, batch_first=True, enforce_sorted=False)
        _, (h_n, _) = self.lstm(packed)
        # last layer, both directions: h_n[-2] is forward, h_n[-1] is backward
        hidden = torch.cat((h_n[-2], h_n[-1]), dim=1)
        return self.fc(hidden)


def run_epoch(model, batches, criterion, optimizer, losses):
    model.train()
    for tokens, lengths, labels in batches:
        optimizer.zero_grad()
        logits = model(tokens, lengths)
        loss = criterion(logits, labels)
        loss.backward()
        nn.utils.clip_grad_value_(model.parameters(), 1.0)
        optimizer.step()
        losses.append(loss.item())


def accuracy(model, batches):
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for tokens, lengths, labels in batches:
            predicted = model(tokens, lengths).argmax(dim=1)
            correct += (predicted == labels).sum().item()
            total += labels.size(0)
    return correct / total


def main(argv=None):
    parser = argparse.ArgumentParser(description="bidirectional LSTM sequence classifier")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--checkpoint", default="checkpoint.pt", help="where the mid-training checkpoint goes")
    parser.add_argument("--no-resume", action="store_true", help="train straight on instead of resuming")
    parser.add_argument("--init", default="", help="load initial weights (a state dict) from here")
    parser.add_argument("--save-init", default="", help="save the initial weights (a state dict) here")
    args = parser.parse_args(argv)

    torch.manual_seed(0)
    data = make_dataset()
    batches = [collate(data[i:i + args.batch_size]) for i in range(0, len(data), args.batch_size)]

    def build():
        model = Classifier(vocab_size=6, embed_dim=5, hidden_dim=7, num_classes=2).double()
        optimizer = optim.Adam(model.parameters(), lr=args.lr, weight_decay=1e-4)
        scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
        return model, optimizer, scheduler

    model, optimizer, scheduler = build()
    if args.init:
        model.load_state_dict(torch.load(args.init))
    if args.save_init:
        torch.save(model.state_dict(), args.save_init)
    criterion = nn.CrossEntropyLoss()

    losses, accuracies = [], []
    half = args.epochs // 2
    for _epoch in range(half):
        run_epoch(model, batches, criterion, optimizer, losses)
        scheduler.step()
        accuracies.append(accuracy(model, batches))
    torch.save({
        "epoch": half,
        "model_state_dict": model.state_dict(),
        "optimizer_state_dict": optimizer.state_dict(),
        "scheduler_state_dict": scheduler.state_dict(),
        "losses": losses,
    }, args.checkpoint)

    checkpoint = torch.load(args.checkpoint)
    if not args.no_resume:
        # resume into fresh objects, as after a restart
        model, optimizer, scheduler = build()
        model.load_state_dict(checkpoint["model_state_dict"])
        optimizer.load_state_dict(checkpoint["optimizer_state_dict"])
        scheduler.load_state_dict(checkpoint["scheduler_state_dict"])
    for epoch in range(checkpoint["epoch"], args.epochs):
        run_epoch(model, batches, criterion, optimizer, losses)
        scheduler.step()
        accuracies.append(accuracy(model, batches))
        print(f"epoch {epoch}  loss {losses[-1]:.4f}  accuracy {accuracies[-1]:.3f}  lr {scheduler.get_last_lr()[0]:g}")
    return {"losses": losses, "accuracies": accuracies, "saved_losses": list(checkpoint["losses"])}


if __name__ == "__main__":
    main()
