"""Part-of-speech tagging with an LSTM, in the style of PyTorch's sequence-models tutorial.

Plain PyTorch: word embeddings, an LSTM over the sentence, a Linear layer to tag space,
log_softmax, NLLLoss and SGD. It still uses the legacy spellings older versions of the
tutorial used (``autograd.Variable``, ``torch.LongTensor``) next to the modern
``torch.tensor(..., dtype=torch.long)``. tests/test_ported_programs.py runs this file
unchanged with torch and with lstmkit bound to the torch names.

Run: python pos_tagger.py [--epochs N] [--init STATE] [--save-init STATE]
"""

import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

training_data = [
    ("The dog ate the apple".split(), ["DET", "NN", "V", "DET", "NN"]),
    ("Everybody read that book".split(), ["NN", "V", "DET", "NN"]),
    ("The cat read the book".split(), ["DET", "NN", "V", "DET", "NN"]),
]

word_to_ix = {}
for sent, _tags in training_data:
    for word in sent:
        if word not in word_to_ix:
            word_to_ix[word] = len(word_to_ix)
tag_to_ix = {"DET": 0, "NN": 1, "V": 2}
ix_to_tag = {ix: tag for tag, ix in tag_to_ix.items()}

EMBEDDING_DIM = 6
HIDDEN_DIM = 6


def prepare_sequence(seq, to_ix):
    idxs = [to_ix[w] for w in seq]
    return torch.tensor(idxs, dtype=torch.long)


def prepare_sequence_legacy(seq, to_ix):
    # how the tutorial wrote it before PyTorch 0.4
    idxs = [to_ix[w] for w in seq]
    tensor = torch.LongTensor(idxs)
    return torch.autograd.Variable(tensor)


class LSTMTagger(nn.Module):
    def __init__(self, embedding_dim, hidden_dim, vocab_size, tagset_size):
        super().__init__()
        self.hidden_dim = hidden_dim
        self.word_embeddings = nn.Embedding(vocab_size, embedding_dim)
        # The LSTM takes word embeddings as inputs, and outputs hidden states
        # with dimensionality hidden_dim.
        self.lstm = nn.LSTM(embedding_dim, hidden_dim)
        # The linear layer that maps from hidden state space to tag space
        self.hidden2tag = nn.Linear(hidden_dim, tagset_size)
        self.hidden = self.init_hidden()

    def init_hidden(self):
        # (num_layers, minibatch_size, hidden_dim), as the legacy tutorial kept them
        return (torch.autograd.Variable(torch.zeros(1, 1, self.hidden_dim)),
                torch.autograd.Variable(torch.zeros(1, 1, self.hidden_dim)))

    def forward(self, sentence):
        embeds = self.word_embeddings(sentence)
        lstm_out, self.hidden = self.lstm(embeds.view(len(sentence), 1, -1), self.hidden)
        tag_space = self.hidden2tag(lstm_out.view(len(sentence), -1))
        tag_scores = F.log_softmax(tag_space, dim=1)
        return tag_scores


def lstm_warm_up():
    """The tutorial's first cell: one step at a time, or the whole sequence at once."""
    lstm = nn.LSTM(3, 3)  # Input dim is 3, output dim is 3
    inputs = [torch.randn(1, 3) for _ in range(5)]  # make a sequence of length 5
    hidden = (torch.randn(1, 1, 3), torch.randn(1, 1, 3))
    start = hidden
    step_outputs = []
    for i in inputs:
        # Step through the sequence one element at a time.
        out, hidden = lstm(i.view(1, 1, -1), hidden)
        step_outputs.append(out)
    # Alternatively, the entire sequence all at once.
    inputs = torch.cat(inputs).view(len(inputs), 1, -1)
    out, hidden_all = lstm(inputs, start)
    gap = (out - torch.cat(step_outputs)).abs().max().item()
    gap = max(gap, (hidden_all[0] - hidden[0]).abs().max().item())
    return gap


def main(argv=None):
    parser = argparse.ArgumentParser(description="LSTM part-of-speech tagger")
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--init", default="", help="load initial weights (a state dict) from here")
    parser.add_argument("--save-init", default="", help="save the initial weights (a state dict) here")
    args = parser.parse_args(argv)

    torch.manual_seed(args.seed)
    torch.set_default_dtype(torch.float64)
    warm_up_gap = lstm_warm_up()

    model = LSTMTagger(EMBEDDING_DIM, HIDDEN_DIM, len(word_to_ix), len(tag_to_ix))
    if args.init:
        model.load_state_dict(torch.load(args.init))
    if args.save_init:
        torch.save(model.state_dict(), args.save_init)
    loss_function = nn.NLLLoss()
    optimizer = optim.SGD(model.parameters(), lr=args.lr)

    # See what the scores are before training
    with torch.no_grad():
        model.hidden = model.init_hidden()
        inputs = prepare_sequence(training_data[0][0], word_to_ix)
        before = model(inputs)

    losses = []
    for epoch in range(args.epochs):
        for n, (sentence, tags) in enumerate(training_data):
            # Step 1. Remember that Pytorch accumulates gradients.
            # We need to clear them out before each instance
            model.zero_grad()
            # Also, we need to clear out the hidden state of the LSTM,
            # detaching it from its history on the last instance.
            model.hidden = model.init_hidden()

            # Step 2. Get our inputs ready for the network, that is, turn them into
            # tensors of word indices (every other sentence the legacy way).
            if n % 2:
                sentence_in = prepare_sequence_legacy(sentence, word_to_ix)
                targets = prepare_sequence_legacy(tags, tag_to_ix)
            else:
                sentence_in = prepare_sequence(sentence, word_to_ix)
                targets = prepare_sequence(tags, tag_to_ix)

            # Step 3. Run our forward pass.
            tag_scores = model(sentence_in)

            # Step 4. Compute the loss, gradients, and update the parameters by
            #  calling optimizer.step()
            loss = loss_function(tag_scores, targets)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        if epoch % 50 == 0:
            print(f"epoch {epoch:3d}  loss {losses[-1]:.6f}")

    # See what the scores are after training
    with torch.no_grad():
        model.hidden = model.init_hidden()
        inputs = prepare_sequence(training_data[0][0], word_to_ix)
        after = model(inputs)
        _, predicted = after.max(1)
    tags = [ix_to_tag[i] for i in predicted.tolist()]
    print(" ".join(training_data[0][0]), "->", " ".join(tags))
    return {
        "losses": losses,
        "scores_before": before.tolist(),
        "scores_after": after.tolist(),
        "tags": tags,
        "warm_up_gap": warm_up_gap,
    }


if __name__ == "__main__":
    main()
